using NUnit.Framework;
using System.Text;
using StbImageSharp;
using StyleAlign.Engine.Vision;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Data;

[TestFixture, Category("Unit")]
public class PngEncoderTests
{
    [TestCase(1, 1)]
    [TestCase(7, 5)]
    [TestCase(64, 48)]
    public void EncodedImage_DecodesWithStbImageSharp_ToTheSamePixels(int width, int height)
    {
        var rgb = new byte[width * height * 3];
        // Noise exercises every filter difference, including wrap-around below zero.
        ulong state = 0x1234_5678UL;
        for (int i = 0; i < rgb.Length; i++)
        {
            state = state * 6364136223846793005UL + 1442695040888963407UL;
            rgb[i] = (byte)(state >> 56);
        }

        byte[] png = PngEncoder.Encode(rgb, width, height);
        var decoded = ImageResult.FromMemory(png, ColorComponents.RedGreenBlue);

        Assert.That(decoded.Width, Is.EqualTo(width));
        Assert.That(decoded.Height, Is.EqualTo(height));
        Assert.That(decoded.Data, Is.EqualTo(rgb));
    }

    [Test]
    public void Crc32_MatchesTheStandardCheckValue()
    {
        // The published check value of CRC-32/ISO-HDLC for the ASCII digits "123456789".
        Assert.That(PngEncoder.Crc32(Encoding.ASCII.GetBytes("123456789")), Is.EqualTo(0xCBF43926u));
    }

    [Test]
    public void WriteFile_LeavesOnlyTheFinishedImage()
    {
        using var temp = new TempDirectory();
        string path = temp.File("nested/picture.png");
        var rgb = new byte[4 * 3 * 3];
        Array.Fill(rgb, (byte)200);

        PngEncoder.WriteFile(path, rgb, 4, 3);
        PngEncoder.WriteFile(path, rgb, 4, 3);

        Assert.That(Directory.GetFiles(temp.File("nested")), Is.EqualTo(new[] { path }));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(PngEncoder.Encode(rgb, 4, 3)));
    }

    [Test]
    public void Encode_RejectsABufferOfTheWrongSize()
    {
        var error = Assert.Throws<ArgumentException>(() => PngEncoder.Encode(new byte[10], 2, 2));
        Assert.That(error!.Message, Does.Contain("expected 12"));
    }
}
