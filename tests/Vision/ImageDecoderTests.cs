using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using NUnit.Framework;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Tests.Vision;

[TestFixture]
[Category("Unit")]
public class ImageDecoderTests
{
    [Test]
    public void GreyIsReplicatedToThreeChannels()
    {
        byte[] grey = [0, 128, 255, 7];
        var image = ImageDecoder.Decode(Png(2, 2, colorType: 0, channels: 1, grey), "grey.png");
        Assert.That((image.Height, image.Width), Is.EqualTo((2, 2)));
        Assert.That(image.Pixels, Is.EqualTo(grey.SelectMany(v => new[] { v, v, v }).ToArray()));
    }

    [Test]
    public void AlphaIsDroppedWithoutCompositing()
    {
        byte[] rgba = [10, 20, 30, 0, 40, 50, 60, 128];
        var image = ImageDecoder.Decode(Png(1, 2, colorType: 6, channels: 4, rgba), "rgba.png");
        Assert.That(image.Pixels, Is.EqualTo(new byte[] { 10, 20, 30, 40, 50, 60 }));
    }

    [Test]
    public void MissingFileNamesThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():N}.png");
        var e = Assert.Throws<InputFileException>(() => ImageDecoder.Load(path));
        Assert.That(e!.Message, Does.Contain(path));
    }

    // Minimal PNG: 8-bit samples, one IDAT, filter type 0 on every row.
    private static byte[] Png(int height, int width, byte colorType, int channels, byte[] samples)
    {
        using var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            raw.Write(samples, y * width * channels, width * channels);
        }
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            z.Write(raw.ToArray());

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = colorType;
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        WriteChunk(png, "IHDR", header);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        var buffer = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(buffer, data.Length);
        s.Write(buffer);
        byte[] typeAndData = [.. Encoding.ASCII.GetBytes(type), .. data];
        s.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(buffer, Crc32(typeAndData));
        s.Write(buffer);
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
