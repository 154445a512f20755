using System.Buffers.Binary;

namespace StyleAlign.Engine.Vision;

/// <summary>
/// Structural checks made before stb_image sees a file, because it trusts lengths it reads: a PNG chunk whose
/// declared length runs past the end of the file makes it allocate that length (up to gigabytes), and a JPEG
/// header segment cut short by the end of the file makes it loop forever. Every PNG chunk (up to IEND) and every
/// JPEG header segment (up to the start of scan) must lie inside the file.
/// </summary>
internal static class ImageStructure
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Why the file's structure is unsafe to decode, or null.</summary>
    public static string? Problem(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith(PngSignature)) return PngProblem(bytes);
        if (bytes.Length >= 2 && bytes[0] == 0xFF && bytes[1] == 0xD8) return JpegProblem(bytes);
        return null;
    }

    private static string? PngProblem(ReadOnlySpan<byte> bytes)
    {
        int position = PngSignature.Length;
        while (position + 12 <= bytes.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(bytes[position..]);
            string type = ChunkType(bytes.Slice(position + 4, 4));
            long room = bytes.Length - position - 12L;
            if (length > room)
                return $"PNG chunk '{type}' at byte {position} declares {length} bytes of data but the file ends {room} bytes later (corrupt or truncated)";
            if (type == "IEND") return null;
            position += 12 + (int)length;
        }
        return "the PNG ends before its IEND chunk (truncated)";
    }

    private static string ChunkType(ReadOnlySpan<byte> type)
    {
        Span<char> chars = stackalloc char[4];
        for (int i = 0; i < 4; i++) chars[i] = type[i] is >= 0x20 and < 0x7F ? (char)type[i] : '?';
        return new string(chars);
    }

    /// <summary>Markers from SOI to SOS: standalone markers have no length; every other segment's length must fit.</summary>
    private static string? JpegProblem(ReadOnlySpan<byte> bytes)
    {
        int position = 2;
        while (position + 2 <= bytes.Length)
        {
            if (bytes[position] != 0xFF)
                return $"JPEG byte {position} should start a marker (0xFF) but is 0x{bytes[position]:X2} (corrupt)";
            byte marker = bytes[position + 1];
            if (marker == 0xFF)
            {
                position++;
                continue;
            }
            if (marker is 0x01 or 0xD8 or (>= 0xD0 and <= 0xD7))
            {
                position += 2;
                continue;
            }
            if (position + 4 > bytes.Length) break;
            int length = BinaryPrimitives.ReadUInt16BigEndian(bytes[(position + 2)..]);
            if (length < 2 || position + 2 + length > bytes.Length)
                return $"JPEG segment 0xFF{marker:X2} at byte {position} declares {length} bytes but the file ends {bytes.Length - position - 2} bytes later (corrupt or truncated)";
            if (marker == 0xDA) return null;
            position += 2 + length;
        }
        return "the JPEG ends before its image data starts (truncated)";
    }
}
