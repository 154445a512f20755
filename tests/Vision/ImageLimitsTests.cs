using System.Buffers.Binary;
using System.Diagnostics;
using NUnit.Framework;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Tests.Vision;

/// <summary>Images are checked from their headers before decoding: sizes beyond the limits, decompression bombs and
/// structures that made the decoder allocate gigabytes or loop are refused, quickly and with the file named.</summary>
[TestFixture]
[Category("Unit")]
public sealed class ImageLimitsTests
{
    private static byte[] PngDeclaring(int width, int height)
    {
        byte[] png = PngEncoder.Encode(new byte[4 * 4 * 3], 4, 4);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), PngEncoder.Crc32(png.AsSpan(12, 17)));
        return png;
    }

    private static string RefusedQuicklyAndLightly(byte[] encoded)
    {
        var clock = Stopwatch.StartNew();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<ImageInputException>(() => ImageDecoder.Decode(encoded, "bad.png"))!;
        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.LessThan(8L << 20), "refused before anything of the declared size is allocated");
        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)));
        Assert.That(error.Message, Does.StartWith("bad.png: "));
        return error.Message;
    }

    [Test]
    public void DimensionsBeyondThePixelLimitAreRefusedFromTheHeader()
    {
        Assert.That(RefusedQuicklyAndLightly(PngDeclaring(10_000, 10_000)),
            Does.Contain("the header declares 10000x10000 = 100,000,000 pixels, more than the 67,108,864 an image may have"));
    }

    [Test]
    public void ADecompressionBombIsRefusedFromTheHeader()
    {
        Assert.That(RefusedQuicklyAndLightly(PngDeclaring(5_000, 5_000)),
            Does.Contain("declares 5000x5000 pixels, more than a").And.Contain("file can hold (corrupt, or a decompression bomb)"));
    }

    [Test]
    public void APngChunkLongerThanTheFileIsRefusedInsteadOfAllocated()
    {
        // A flipped bit in an IDAT length once made the decoder allocate 1 GiB.
        byte[] png = PngEncoder.Encode(new byte[4 * 4 * 3], 4, 4);
        int idat = png.AsSpan().IndexOf("IDAT"u8) - 4;
        png[idat] ^= 0x20;
        Assert.That(RefusedQuicklyAndLightly(png), Does.Contain($"PNG chunk 'IDAT' at byte {idat} declares"));
    }

    [Test]
    public void ATruncatedJpegHeaderIsRefusedInsteadOfDecodedForever()
    {
        byte[] jpeg = File.ReadAllBytes(IoTestFolderPath("seed.jpg"));
        foreach (int length in new[] { 6, 8, 20 })
            Assert.That(RefusedQuicklyAndLightly(jpeg[..length]), Does.Contain("(corrupt or truncated)").Or.Contain("ends before its image data starts"));
    }

    [Test]
    public void EverySeedImageDecodes()
    {
        foreach (string name in new[] { "seed.jpg", "seed.gif", "seed.bmp", "seed-grey.png", "seed-rgba.png" })
        {
            var image = ImageDecoder.Load(IoTestFolderPath(name));
            Assert.That(image.Source, Does.EndWith(name));
            Assert.That(image.Pixels, Has.Length.EqualTo(image.Width * image.Height * 3));
        }
    }

    [Test]
    public void ImagesAProcessorCannotTakeAreRefusedWithTheFileNamed()
    {
        var tiny = new RgbImage(new byte[10 * 10 * 3], 10, 10) { Source = "/data/tiny.png" };
        Assert.That(() => new QwenImageProcessor().Process(tiny), Throws.TypeOf<ImageInputException>()
            .With.Message.EqualTo("/data/tiny.png: an image of 10x10 is smaller than the resize factor 28 on a side"));
        var thin = new RgbImage(new byte[1 * 20_000 * 3], 1, 20_000) { Source = "/data/thin.png" };
        Assert.That(() => new ClipImageProcessor().Process(thin), Throws.TypeOf<ImageInputException>()
            .With.Message.StartsWith("/data/thin.png: an image of 1x20000 would be resized to 224x4480000 before cropping"));
    }

    [Test]
    public void NotAnImageIsRefusedNamingTheFile()
    {
        Assert.That(RefusedQuicklyAndLightly("plain text"u8.ToArray()), Does.Contain("not an image this engine decodes"));
        Assert.That(RefusedQuicklyAndLightly([]), Does.Contain("not an image this engine decodes (0 bytes)"));
    }

    private static string IoTestFolderPath(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "fuzz", name);
}
