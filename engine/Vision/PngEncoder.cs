using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace StyleAlign.Engine.Vision;

/// <summary>
/// Writes 8-bit RGB images as PNG (colour type 2, no interlace). Kept dependency-free so that datasets,
/// plots and debug dumps can be written without an imaging library.
/// </summary>
public static class PngEncoder
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>Encodes <paramref name="rgb"/> (row-major H×W×3 bytes) as a PNG file image.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> rgb, int width, int height)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"PNG size must be positive, got {width}x{height}.");
        long expected = (long)width * height * 3;
        if (rgb.Length != expected)
            throw new ArgumentException(
                $"RGB buffer holds {rgb.Length} bytes, expected {expected} for {width}x{height}x3.", nameof(rgb));

        using var file = new MemoryStream();
        file.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;  // bit depth
        header[9] = 2;  // colour type: truecolour RGB
        header[10] = 0; // compression: deflate
        header[11] = 0; // filter method: adaptive (per-row filter byte)
        header[12] = 0; // no interlace
        WriteChunk(file, "IHDR", header);
        WriteChunk(file, "IDAT", CompressScanlines(rgb, width, height));
        WriteChunk(file, "IEND", ReadOnlySpan<byte>.Empty);
        return file.ToArray();
    }

    /// <summary>
    /// Encodes and writes the PNG through a temporary file renamed into place, so a reader never sees a
    /// half-written image.
    /// </summary>
    public static void WriteFile(string path, ReadOnlySpan<byte> rgb, int width, int height)
    {
        byte[] png = Encode(rgb, width, height);
        string fullPath = Path.GetFullPath(path);
        string? directory = Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        string temporary = $"{fullPath}.tmp-{Guid.NewGuid():N}";
        try
        {
            File.WriteAllBytes(temporary, png);
            File.Move(temporary, fullPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>CRC-32 (ISO-HDLC polynomial 0xEDB88320) as PNG chunks require.</summary>
    public static uint Crc32(ReadOnlySpan<byte> data) => UpdateCrc(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu;

    private static byte[] CompressScanlines(ReadOnlySpan<byte> rgb, int width, int height)
    {
        int stride = width * 3;
        // Each scanline is prefixed by its filter type; "Sub" (1) stores the difference to the pixel on the
        // left, which turns flat backgrounds into runs of zeros that deflate compresses well.
        var filtered = new byte[(long)height * (stride + 1)];
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<byte> row = rgb.Slice(y * stride, stride);
            Span<byte> target = filtered.AsSpan(y * (stride + 1), stride + 1);
            target[0] = 1;
            for (int i = 0; i < stride; i++)
            {
                byte left = i >= 3 ? row[i - 3] : (byte)0;
                target[i + 1] = unchecked((byte)(row[i] - left));
            }
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(filtered);
        return compressed.ToArray();
    }

    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);

        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        output.Write(typeBytes);
        output.Write(data);

        // The CRC covers the chunk type and data, not the length.
        uint crc = UpdateCrc(0xFFFFFFFFu, typeBytes);
        crc = UpdateCrc(crc, data) ^ 0xFFFFFFFFu;
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        output.Write(word);
    }

    private static uint UpdateCrc(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }
}
