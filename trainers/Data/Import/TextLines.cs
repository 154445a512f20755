using System.Text;

namespace StyleAlign.Trainers.Data.Import;

/// <summary>The lines of a text file that is not always UTF-8, and how many needed the fallback.</summary>
public sealed record DecodedLines(IReadOnlyList<string> Lines, int FallbackLines);

/// <summary>
/// Reads a text file line by line, each line as strict UTF-8 or, when it is not valid UTF-8, as Windows-1252 (Latin-1
/// with typographic quotes and dashes in 0x80–0x9F), which is how older caption files were saved. Lines end at '\n'
/// (a '\r' before it is dropped); a final newline does not start an extra empty line.
/// </summary>
public static class TextLines
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly Encoding Windows1252 = CodePagesEncodingProvider.Instance.GetEncoding(1252) ?? Encoding.Latin1;

    public static DecodedLines Read(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"{full}: file not found", full);
        return Decode(File.ReadAllBytes(full));
    }

    public static DecodedLines Decode(byte[] bytes)
    {
        var lines = new List<string>();
        var fallback = 0;
        var start = bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        while (start < bytes.Length)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            var next = end < 0 ? bytes.Length : end + 1;
            var length = (end < 0 ? bytes.Length : end) - start;
            if (length > 0 && bytes[start + length - 1] == '\r') length--;
            var span = bytes.AsSpan(start, length);
            try
            {
                lines.Add(StrictUtf8.GetString(span));
            }
            catch (DecoderFallbackException)
            {
                lines.Add(Windows1252.GetString(span));
                fallback++;
            }
            start = next;
        }
        return new DecodedLines(lines, fallback);
    }
}
