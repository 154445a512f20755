using System.Text;
using System.Text.Json;

namespace StyleAlign.Engine.IO;

/// <summary>
/// The one way the engine reads a file a user names: only regular files are opened (a FIFO would block forever,
/// a device such as /dev/zero never ends), and never more bytes than the limit for the file's kind, which is
/// checked before anything is allocated. The limits sit far above real files; docs/input-limits.md lists them.
/// </summary>
public static class InputFiles
{
    private const long MiB = 1024 * 1024;

    /// <summary>config.json, preprocessor_config.json, tokenizer_config.json, a shard index (real ones: a few KB to 1 MB).</summary>
    public const long MaxConfigBytes = 16 * MiB;

    /// <summary>tokenizer.json, vocab.json, merges.txt (Qwen2.5's tokenizer.json is about 11 MB).</summary>
    public const long MaxTokenizerBytes = 128 * MiB;

    /// <summary>An encoded image file (PNG, JPEG, …); the decoded size is bounded separately by its pixel count.</summary>
    public const long MaxImageBytes = 64 * MiB;

    /// <summary>The length of a regular file, or an <see cref="InputFileException"/> saying what the path is instead.</summary>
    /// <param name="what">what the file should be, for the message ("config", "image", …)</param>
    public static long RequireRegularFile(string path, string what)
    {
        string fullPath = Path.GetFullPath(path);
        var (kind, length) = FileKinds.Of(fullPath);
        return kind switch
        {
            FileKind.Regular => length,
            FileKind.Missing => throw new InputFileException(fullPath, $"no such file (expected the {what})"),
            FileKind.Directory => throw new InputFileException(fullPath, $"is a folder, not a file (expected the {what})"),
            _ => throw new InputFileException(fullPath, $"is a {FileKinds.Describe(kind)}, not a regular file (expected the {what})"),
        };
    }

    /// <summary>Every byte of a regular file of at most <paramref name="limit"/> bytes.</summary>
    public static byte[] ReadAllBytes(string path, long limit, string what)
    {
        string fullPath = Path.GetFullPath(path);
        long length = RequireRegularFile(fullPath, what);
        RefuseAbove(fullPath, length, limit, what);
        try
        {
            using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            var bytes = new byte[length];
            int read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            if (read < bytes.Length) return bytes[..read];
            // A file that grew since it was measured is read on, but still only up to the limit.
            if (stream.ReadByte() is var next and >= 0) return ReadGrown(stream, bytes, (byte)next, fullPath, limit, what);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && e is not InvalidInputException)
        {
            throw new InputFileException(fullPath, $"cannot be read: {e.Message}", e);
        }
    }

    /// <summary>A UTF-8 text file (a leading byte-order mark is dropped); invalid UTF-8 is refused with its offset.</summary>
    public static string ReadAllText(string path, long limit, string what)
    {
        string fullPath = Path.GetFullPath(path);
        byte[] bytes = ReadAllBytes(fullPath, limit, what);
        try
        {
            return StrictUtf8.GetString(WithoutBom(bytes));
        }
        catch (DecoderFallbackException e)
        {
            throw new InputFileException(fullPath, $"is not UTF-8 text (invalid byte at offset {e.Index + (bytes.Length - WithoutBom(bytes).Length)})", e);
        }
    }

    /// <summary>
    /// The lines of a UTF-8 text file of any length (a data file), read as a stream, each with its 1-based number and
    /// without its line ending. A line longer than <paramref name="maxLineBytes"/> bytes is refused before it is held
    /// in memory, as is a line that is not UTF-8, each naming the line.
    /// </summary>
    public static IEnumerable<(int Number, string Text)> ReadLines(string path, int maxLineBytes, string what)
    {
        string fullPath = Path.GetFullPath(path);
        RequireRegularFile(fullPath, what);
        using var stream = OpenForReading(fullPath);
        var buffer = new byte[1 << 16];
        using var line = new MemoryStream();
        int number = 1, read;
        while ((read = Read(stream, buffer, fullPath)) > 0)
        {
            int start = 0;
            while (true)
            {
                // A newline byte never occurs inside a UTF-8 sequence, so lines split on bytes before decoding.
                int newline = buffer.AsSpan(start, read - start).IndexOf((byte)'\n');
                int end = newline < 0 ? read : start + newline;
                if (line.Length + end - start > maxLineBytes)
                    throw new InputFileException(fullPath, $"line {number} is longer than the {maxLineBytes} bytes a line of a {what} may be");
                line.Write(buffer, start, end - start);
                if (newline < 0) break;
                yield return (number, DecodeLine(line, number, fullPath));
                line.SetLength(0);
                number++;
                start = end + 1;
            }
        }
        if (line.Length > 0) yield return (number, DecodeLine(line, number, fullPath));
    }

    private static FileStream OpenForReading(string fullPath)
    {
        try
        {
            return new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputFileException(fullPath, $"cannot be read: {e.Message}", e);
        }
    }

    private static int Read(FileStream stream, byte[] buffer, string fullPath)
    {
        try
        {
            return stream.Read(buffer);
        }
        catch (IOException e)
        {
            throw new InputFileException(fullPath, $"cannot be read: {e.Message}", e);
        }
    }

    /// <summary>A line's text without a carriage return before its newline (and, on the first line, a byte-order mark).</summary>
    private static string DecodeLine(MemoryStream line, int number, string fullPath)
    {
        ReadOnlySpan<byte> bytes = line.GetBuffer().AsSpan(0, (int)line.Length);
        if (number == 1) bytes = WithoutBom(bytes);
        if (bytes.EndsWith("\r"u8)) bytes = bytes[..^1];
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new InputFileException(fullPath, $"line {number} is not UTF-8 text (invalid byte at column {e.Index + 1})", e);
        }
    }

    /// <summary>
    /// Parses UTF-8 JSON (a leading byte-order mark is dropped). A syntax error becomes the exception
    /// <paramref name="fail"/> makes from a message naming the file, line and column.
    /// </summary>
    public static JsonDocument ParseJson(ReadOnlyMemory<byte> utf8, string sourcePath, Func<string, Exception, Exception> fail,
        bool allowTrailingCommas = false)
    {
        ReadOnlyMemory<byte> json = WithoutBom(utf8);
        if (!System.Text.Unicode.Utf8.IsValid(json.Span))
        {
            int offset = FirstInvalidUtf8(json.Span) + (utf8.Length - json.Length);
            throw fail($"{sourcePath}: not UTF-8 text (invalid byte at offset {offset})", new DecoderFallbackException("invalid UTF-8", [], offset));
        }
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = allowTrailingCommas });
        }
        catch (JsonException e)
        {
            throw fail($"{sourcePath}: not valid JSON at line {e.LineNumber + 1}, column {e.BytePositionInLine + 1}: {JsonReason(e)}", e);
        }
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        System.Text.Unicode.Utf8.ToUtf16(bytes, new char[bytes.Length], out int valid, out _, replaceInvalidSequences: false);
        return valid;
    }

    /// <summary>The reader's own explanation without its position suffix (the caller reports the position).</summary>
    private static string JsonReason(JsonException e)
    {
        string message = e.Message;
        int cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }

    private static void RefuseAbove(string fullPath, long length, long limit, string what)
    {
        if (length > limit)
            throw new InputFileException(fullPath, $"is {length:N0} bytes, more than the {limit:N0} ({Size(limit)}) a {what} may be");
    }

    private static byte[] ReadGrown(FileStream stream, byte[] start, byte next, string fullPath, long limit, string what)
    {
        using var grown = new MemoryStream();
        grown.Write(start);
        grown.WriteByte(next);
        var chunk = new byte[1 << 16];
        int read;
        while ((read = stream.Read(chunk)) > 0)
        {
            if (grown.Length + read > limit) RefuseAbove(fullPath, grown.Length + read, limit, what);
            grown.Write(chunk, 0, read);
        }
        return grown.ToArray();
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static ReadOnlySpan<byte> WithoutBom(ReadOnlySpan<byte> bytes) =>
        bytes.StartsWith(Encoding.UTF8.Preamble) ? bytes[3..] : bytes;

    private static ReadOnlyMemory<byte> WithoutBom(ReadOnlyMemory<byte> bytes) =>
        bytes.Span.StartsWith(Encoding.UTF8.Preamble) ? bytes[3..] : bytes;

    /// <summary>A byte count for people: "900 bytes", "11.2 MiB", "2.0 GiB".</summary>
    public static string Size(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} bytes",
        < MiB => $"{bytes / 1024.0:0.#} KiB",
        < 1024 * MiB => $"{bytes / (double)MiB:0.#} MiB",
        _ => $"{bytes / (1024.0 * MiB):0.#} GiB",
    };
}
