using NUnit.Framework;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Tests.Vision;

[TestFixture]
[Category("Golden")]
public class QwenImageProcessorTests
{
    private static string ProcessorDir =>
        Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "qwen25vl_tiny", "processor");

    [TestCase("img100x150", 100, 150)]
    [TestCase("img84x112", 84, 112)]
    public void DecodedPngEqualsFixtureInput(string name, int height, int width)
    {
        using var fixture = OpenFixture(name);
        var image = ImageDecoder.Load(Path.Combine(ProcessorDir, name + ".png"));
        Assert.That((image.Height, image.Width), Is.EqualTo((height, width)));
        Assert.That(image.Pixels, Is.EqualTo(fixture.GetBytes("image_uint8_hwc").ToArray()));
    }

    [TestCase("img100x150")]
    [TestCase("img84x112")]
    public void ResizeIsBitExactWithPillow(string name)
    {
        using var fixture = OpenFixture(name);
        var processor = QwenImageProcessor.Load(ProcessorDir);
        var input = InputImage(fixture);
        var resized = processor.Resize(input);
        Assert.That(fixture.GetEntry("resized_uint8_hwc").Shape, Is.EqualTo(new long[] { resized.Height, resized.Width, 3 }));
        byte[] expected = fixture.GetBytes("resized_uint8_hwc").ToArray();
        int mismatches = expected.Where((v, i) => v != resized.Pixels[i]).Count();
        Assert.That(mismatches, Is.Zero, $"{mismatches} of {expected.Length} resized bytes differ from Pillow");
    }

    [TestCase("img100x150")]
    [TestCase("img84x112")]
    public void UnnormalizedPatchesMatchExactly(string name)
    {
        using var fixture = OpenFixture(name);
        var processor = QwenImageProcessor.Load(ProcessorDir);
        var (values, grid) = processor.PatchifyBytes(processor.Resize(InputImage(fixture)));
        Assert.That(values, Is.EqualTo(fixture.GetBytes("pixel_values_unnormalized").ToArray()));
        Assert.That(new long[] { grid.T, grid.H, grid.W }, Is.EqualTo(fixture.ReadAsInt64("image_grid_thw")));
    }

    [TestCase("img100x150")]
    [TestCase("img84x112")]
    public void PixelValuesMatchWithin1e6(string name)
    {
        using var fixture = OpenFixture(name);
        var processor = QwenImageProcessor.Load(ProcessorDir);
        var result = processor.Process(InputImage(fixture));
        float[] expected = fixture.ReadAsFloat32("pixel_values");
        Assert.That((result.Rows, result.Columns), Is.EqualTo((48, 1176)));
        Assert.That(result.PixelValues.Length, Is.EqualTo(expected.Length));
        double maxDiff = expected.Select((v, i) => Math.Abs(v - result.PixelValues[i])).Max();
        Assert.That(maxDiff, Is.LessThanOrEqualTo(1e-6));
        Assert.That(result.Grids, Is.EqualTo(new[] { new ImageGrid(1, 6, 8) }));
        Assert.That(result.Grids[0].LlmTokenCount(processor.MergeSize), Is.EqualTo(12));
    }

    [Test]
    public void ProcessConcatenatesImagesInOrder()
    {
        using var a = OpenFixture("img100x150");
        using var b = OpenFixture("img84x112");
        var processor = QwenImageProcessor.Load(ProcessorDir);
        var both = processor.Process([InputImage(b), InputImage(a)]);
        Assert.That(both.Rows, Is.EqualTo(96));
        Assert.That(both.PixelValues.AsSpan(0, 48 * 1176).ToArray(), Is.EqualTo(processor.Process(InputImage(b)).PixelValues));
        Assert.That(both.PixelValues.AsSpan(48 * 1176).ToArray(), Is.EqualTo(processor.Process(InputImage(a)).PixelValues));
    }

    [Test]
    public void LoadReadsPixelBoundsFromConfig()
    {
        var processor = QwenImageProcessor.Load(ProcessorDir);
        Assert.That((processor.MinPixels, processor.MaxPixels), Is.EqualTo((3136, 12544)));
        Assert.That((processor.PatchSize, processor.TemporalPatchSize, processor.MergeSize), Is.EqualTo((14, 2, 2)));
        Assert.That(processor.RowLength, Is.EqualTo(1176));
    }

    [Test]
    public void UndecodableFileNamesTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"not-an-image-{Guid.NewGuid():N}.png");
        File.WriteAllText(path, "plain text");
        try
        {
            var e = Assert.Throws<ImageInputException>(() => ImageDecoder.Load(path));
            Assert.That(e!.Message, Does.Contain(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static SafetensorsFile OpenFixture(string name) =>
        SafetensorsFile.Open(Path.Combine(ProcessorDir, name + ".safetensors"));

    internal static RgbImage InputImage(SafetensorsFile fixture)
    {
        var shape = fixture.GetEntry("image_uint8_hwc").Shape;
        return new RgbImage(fixture.GetBytes("image_uint8_hwc").ToArray(), (int)shape[0], (int)shape[1]);
    }
}
