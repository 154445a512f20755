using NUnit.Framework;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Tests.Vision;

[TestFixture]
[Category("Unit")]
public class ClipImageProcessorTests
{
    [TestCase(480, 640, 224, 298)] // 224·640/480 = 298.67 is truncated
    [TestCase(640, 480, 298, 224)]
    [TestCase(300, 300, 224, 224)]
    [TestCase(100, 150, 224, 336)]
    public void ShortestSideGoesTo224WithTruncation(int h, int w, int expectedH, int expectedW)
    {
        Assert.That(new ClipImageProcessor().ResizedSize(h, w), Is.EqualTo((expectedH, expectedW)));
    }

    [Test]
    public void CropsCenterAndNormalizesPerChannel()
    {
        // 224 rows already: no resize, so the output is the centre crop (left = (300 − 224) // 2 = 38), normalized.
        var image = Pattern(224, 300);
        float[] chw = new ClipImageProcessor().Process(image);
        Assert.That(chw, Has.Length.EqualTo(3 * 224 * 224));
        float[] mean = QwenImageProcessor.ClipMean, std = QwenImageProcessor.ClipStd;
        foreach (var (y, x) in new[] { (0, 0), (0, 223), (100, 57), (223, 223) })
        {
            for (int c = 0; c < 3; c++)
            {
                float expected = ((float)(image[y, x + 38, c] / 255.0) - mean[c]) / std[c];
                Assert.That(chw[(c * 224 + y) * 224 + x], Is.EqualTo(expected), $"c={c} y={y} x={x}");
            }
        }
    }

    [Test]
    public void CenterCropUsesFloorOffsets()
    {
        var crop = ClipImageProcessor.CenterCrop(Pattern(5, 7), 2, 3);
        var source = Pattern(5, 7);
        Assert.That(crop[0, 0, 0], Is.EqualTo(source[1, 2, 0])); // top = (5 − 2) // 2 = 1, left = (7 − 3) // 2 = 2
        Assert.That(crop[1, 2, 1], Is.EqualTo(source[2, 4, 1]));
    }

    [Test]
    public void UpscalesSmallImagesToFullCrop()
    {
        float[] chw = new ClipImageProcessor().Process(Pattern(100, 150));
        Assert.That(chw, Has.Length.EqualTo(3 * 224 * 224));
        Assert.That(chw, Has.All.InRange(-2.0f, 2.2f)); // (0 − mean)/std … (1 − mean)/std
    }

    private static RgbImage Pattern(int h, int w)
    {
        var pixels = new byte[h * w * 3];
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            int i = (y * w + x) * 3;
            pixels[i] = (byte)(x * 255 / Math.Max(1, w - 1));
            pixels[i + 1] = (byte)(y * 255 / Math.Max(1, h - 1));
            pixels[i + 2] = (byte)((x / 10 + y / 10) % 2 == 0 ? 25 : 225);
        }
        return new RgbImage(pixels, h, w);
    }
}
