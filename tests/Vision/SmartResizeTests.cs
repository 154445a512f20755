using NUnit.Framework;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Tests.Vision;

[TestFixture]
[Category("Unit")]
public class SmartResizeTests
{
    [TestCase(480, 640, 476, 644)]
    [TestCase(224, 224, 224, 224)]
    [TestCase(2048, 1365, 2044, 1372)]
    [TestCase(70, 70, 56, 56)] // 2.5 rounds to even (2)
    [TestCase(42, 98, 56, 112)] // 1.5 → 2, 3.5 → 4
    public void ModelRepoBounds(int h, int w, int expectedH, int expectedW)
    {
        Assert.That(SmartResize.Compute(h, w), Is.EqualTo((expectedH, expectedW)));
    }

    [Test]
    public void MaxPixelsCapScalesDown()
    {
        Assert.That(SmartResize.Compute(2048, 1365, maxPixels: 28 * 28 * 1280), Is.EqualTo((1204, 812)));
        Assert.That(SmartResize.Compute(100, 150, minPixels: 3136, maxPixels: 12544), Is.EqualTo((84, 112)));
    }

    [Test]
    public void MinPixelsScalesUp()
    {
        var (h, w) = SmartResize.Compute(28, 30, minPixels: 56 * 56 * 4);
        Assert.That((h, w), Is.EqualTo((112, 140))); // beta = sqrt(12544/840) ≈ 3.864: ceil(3.86)=4, ceil(4.14)=5
        Assert.That(h * w, Is.GreaterThanOrEqualTo(56 * 56 * 4));
    }

    [Test]
    public void RejectsTinyAndExtremeImages()
    {
        Assert.Throws<ArgumentException>(() => SmartResize.Compute(27, 100));
        Assert.Throws<ArgumentException>(() => SmartResize.Compute(28, 28 * 201));
    }
}
