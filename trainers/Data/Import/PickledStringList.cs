using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace StyleAlign.Trainers.Data.Import;

/// <summary>
/// Reads a Python pickle that holds one list of strings, as FlickrStyle10k's <c>train.p</c> files do, without Python
/// and without executing anything. Only the opcodes such a file can contain are accepted (protocols 0 to 5: PROTO,
/// FRAME, MARK, LIST, EMPTY_LIST, APPEND, APPENDS, the text opcodes UNICODE, BINUNICODE, SHORT_BINUNICODE,
/// BINUNICODE8, STRING, BINSTRING, SHORT_BINSTRING, the memo opcodes PUT, BINPUT, LONG_BINPUT, MEMOIZE, GET, BINGET,
/// LONG_BINGET, and STOP); any other opcode — GLOBAL, REDUCE and the rest that build or call objects — is refused
/// with an error naming it and its byte offset.
/// </summary>
public static class PickledStringList
{
    private static readonly object Mark = new();

    public static IReadOnlyList<string> Read(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"{full}: file not found", full);
        return Parse(File.ReadAllBytes(full), full);
    }

    /// <param name="source">the file name used in error messages</param>
    public static IReadOnlyList<string> Parse(byte[] data, string source)
    {
        var reader = new Reader(data, source);
        var stack = new List<object>();
        var memo = new Dictionary<long, object>();
        while (true)
        {
            var at = reader.Position;
            var opcode = reader.Byte("an opcode");
            switch (opcode)
            {
                case 0x80: // PROTO
                    var protocol = reader.Byte("the protocol number");
                    if (protocol > 5) throw reader.Error(at, $"pickle protocol {protocol} is newer than 5");
                    break;
                case 0x95: // FRAME: a length hint only
                    var frame = reader.UInt64("the FRAME length");
                    if (frame > (ulong)reader.Remaining) throw reader.Error(at, $"truncated: FRAME declares {frame} bytes, only {reader.Remaining} remain");
                    break;
                case (byte)'(': stack.Add(Mark); break;
                case (byte)']': stack.Add(new List<string>()); break;
                case (byte)'l': // LIST: the items above the mark become a list
                    stack.Add(new List<string>(Strings(reader, at, PopToMark(reader, stack, at, "LIST"), "LIST")));
                    break;
                case (byte)'a': // APPEND
                    var item = Pop(reader, stack, at, "APPEND");
                    TargetList(reader, stack, at, "APPEND").AddRange(Strings(reader, at, [item], "APPEND"));
                    break;
                case (byte)'e': // APPENDS
                    var items = PopToMark(reader, stack, at, "APPENDS");
                    TargetList(reader, stack, at, "APPENDS").AddRange(Strings(reader, at, items, "APPENDS"));
                    break;
                case (byte)'V': stack.Add(RawUnicodeEscape(reader.Line("UNICODE"))); break;
                case (byte)'X': stack.Add(Utf8(reader, at, reader.Bytes(reader.UInt32("the BINUNICODE length"), "BINUNICODE"))); break;
                case 0x8c: stack.Add(Utf8(reader, at, reader.Bytes(reader.Byte("the SHORT_BINUNICODE length"), "SHORT_BINUNICODE"))); break;
                case 0x8d: stack.Add(Utf8(reader, at, reader.Bytes(reader.UInt64("the BINUNICODE8 length"), "BINUNICODE8"))); break;
                case (byte)'S': stack.Add(BytesToText(QuotedString(reader, at, reader.Line("STRING")))); break;
                case (byte)'T':
                    var length = BinaryPrimitives.ReadInt32LittleEndian(reader.Bytes(4, "the BINSTRING length"));
                    if (length < 0) throw reader.Error(at, $"BINSTRING has negative length {length}");
                    stack.Add(BytesToText(reader.Bytes((ulong)length, "BINSTRING")));
                    break;
                case (byte)'U': stack.Add(BytesToText(reader.Bytes(reader.Byte("the SHORT_BINSTRING length"), "SHORT_BINSTRING"))); break;
                case (byte)'p': memo[Decimal(reader, at, reader.Line("PUT"), "PUT")] = Top(reader, stack, at, "PUT"); break;
                case (byte)'q': memo[reader.Byte("the BINPUT index")] = Top(reader, stack, at, "BINPUT"); break;
                case (byte)'r': memo[reader.UInt32("the LONG_BINPUT index")] = Top(reader, stack, at, "LONG_BINPUT"); break;
                case 0x94: memo[memo.Count] = Top(reader, stack, at, "MEMOIZE"); break;
                case (byte)'g': stack.Add(Recall(reader, memo, at, Decimal(reader, at, reader.Line("GET"), "GET"))); break;
                case (byte)'h': stack.Add(Recall(reader, memo, at, reader.Byte("the BINGET index"))); break;
                case (byte)'j': stack.Add(Recall(reader, memo, at, reader.UInt32("the LONG_BINGET index"))); break;
                case (byte)'.': // STOP
                    if (reader.Remaining > 0) throw reader.Error(reader.Position, $"{reader.Remaining} bytes follow the STOP opcode");
                    if (stack.Count != 1 || stack[0] is not List<string> result)
                        throw reader.Error(at, stack.Count == 1 ? "the pickled value is a string, expected a list of strings" : $"STOP with {stack.Count} values on the stack, expected one list");
                    return result;
                default:
                    throw reader.Error(at, $"opcode {Describe(opcode)} is not allowed: only a pickled list of strings can be read");
            }
        }
    }

    private static object Pop(Reader reader, List<object> stack, int at, string opcode)
    {
        var value = Top(reader, stack, at, opcode);
        stack.RemoveAt(stack.Count - 1);
        if (ReferenceEquals(value, Mark)) throw reader.Error(at, $"{opcode} found a MARK where it expected a value");
        return value;
    }

    private static object Top(Reader reader, List<object> stack, int at, string opcode) =>
        stack.Count > 0 ? stack[^1] : throw reader.Error(at, $"{opcode} on an empty stack");

    private static List<object> PopToMark(Reader reader, List<object> stack, int at, string opcode)
    {
        var mark = stack.FindLastIndex(o => ReferenceEquals(o, Mark));
        if (mark < 0) throw reader.Error(at, $"{opcode} without a MARK");
        var items = stack.GetRange(mark + 1, stack.Count - mark - 1);
        stack.RemoveRange(mark, stack.Count - mark);
        return items;
    }

    private static List<string> TargetList(Reader reader, List<object> stack, int at, string opcode) =>
        Top(reader, stack, at, opcode) as List<string> ?? throw reader.Error(at, $"{opcode} needs a list below its items");

    private static IEnumerable<string> Strings(Reader reader, int at, List<object> items, string opcode) =>
        items.Select(item => item as string ?? throw reader.Error(at, $"{opcode} adds a {(item is List<string> ? "list" : "marker")} to the list, expected strings only"));

    private static object Recall(Reader reader, Dictionary<long, object> memo, int at, long index) =>
        memo.TryGetValue(index, out var value) ? value : throw reader.Error(at, $"memo entry {index} was never stored");

    private static long Decimal(Reader reader, int at, byte[] line, string opcode) =>
        long.TryParse(Encoding.ASCII.GetString(line), NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw reader.Error(at, $"{opcode} index '{Encoding.ASCII.GetString(line)}' is not a decimal number");

    private static string Utf8(Reader reader, int at, byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw reader.Error(at, "a unicode string is not valid UTF-8");
        }
    }

    /// <summary>Python 2 str values: UTF-8 when they decode as such, else Latin-1 (every byte is a character).</summary>
    private static string BytesToText(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.Latin1.GetString(bytes);
        }
    }

    /// <summary>UNICODE's text: Latin-1 bytes where only \uXXXX and \UXXXXXXXX are escapes (raw-unicode-escape).</summary>
    private static string RawUnicodeEscape(byte[] line)
    {
        var text = new StringBuilder(line.Length);
        for (var i = 0; i < line.Length; i++)
        {
            if (line[i] != '\\')
            {
                text.Append((char)line[i]);
                continue;
            }
            var run = 0;
            while (i + run < line.Length && line[i + run] == '\\') run++;
            var next = i + run;
            var digits = next < line.Length ? line[next] switch { (byte)'u' => 4, (byte)'U' => 8, _ => 0 } : 0;
            if (run % 2 == 1 && digits > 0 && next + digits < line.Length && TryHex(line.AsSpan(next + 1, digits), out var codePoint))
            {
                text.Append('\\', run - 1).Append(char.ConvertFromUtf32(codePoint));
                i = next + digits;
            }
            else
            {
                text.Append('\\', run);
                i = next - 1;
            }
        }
        return text.ToString();
    }

    private static bool TryHex(ReadOnlySpan<byte> digits, out int value) =>
        int.TryParse(Encoding.ASCII.GetString(digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            && value is >= 0 and <= 0x10FFFF and (< 0xD800 or > 0xDFFF);

    /// <summary>STRING's argument: a quoted Python 2 str literal with backslash escapes.</summary>
    private static byte[] QuotedString(Reader reader, int at, byte[] line)
    {
        if (line.Length < 2 || (line[0] != '\'' && line[0] != '"') || line[^1] != line[0])
            throw reader.Error(at, "STRING argument is not a quoted string");
        var bytes = new List<byte>(line.Length);
        for (var i = 1; i < line.Length - 1; i++)
        {
            if (line[i] != '\\' || i + 1 >= line.Length - 1)
            {
                bytes.Add(line[i]);
                continue;
            }
            var c = line[++i];
            switch (c)
            {
                case (byte)'n': bytes.Add((byte)'\n'); break;
                case (byte)'r': bytes.Add((byte)'\r'); break;
                case (byte)'t': bytes.Add((byte)'\t'); break;
                case (byte)'a': bytes.Add(7); break;
                case (byte)'b': bytes.Add(8); break;
                case (byte)'f': bytes.Add(12); break;
                case (byte)'v': bytes.Add(11); break;
                case (byte)'\\' or (byte)'\'' or (byte)'"': bytes.Add(c); break;
                case (byte)'x' when i + 2 < line.Length - 1 && byte.TryParse(Encoding.ASCII.GetString(line, i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex):
                    bytes.Add(hex);
                    i += 2;
                    break;
                case >= (byte)'0' and <= (byte)'7':
                    var octal = c - '0';
                    for (var n = 0; n < 2 && i + 1 < line.Length - 1 && line[i + 1] is >= (byte)'0' and <= (byte)'7'; n++) octal = octal * 8 + (line[++i] - '0');
                    bytes.Add((byte)octal);
                    break;
                default:
                    bytes.Add((byte)'\\');
                    bytes.Add(c);
                    break;
            }
        }
        return bytes.ToArray();
    }

    private static string Describe(byte opcode)
    {
        var name = opcode switch
        {
            (byte)'c' => "GLOBAL",
            0x93 => "STACK_GLOBAL",
            (byte)'R' => "REDUCE",
            (byte)'b' => "BUILD",
            (byte)'i' => "INST",
            (byte)'o' => "OBJ",
            0x81 => "NEWOBJ",
            0x92 => "NEWOBJ_EX",
            (byte)'P' => "PERSID",
            (byte)'Q' => "BINPERSID",
            (byte)'}' or (byte)'d' => "DICT",
            (byte)')' or (byte)'t' => "TUPLE",
            (byte)'I' or (byte)'J' or (byte)'K' or (byte)'M' or (byte)'L' or 0x8a or 0x8b => "an integer",
            (byte)'F' or (byte)'G' => "a float",
            (byte)'N' => "NONE",
            _ => null,
        };
        var shown = opcode is >= 0x20 and < 0x7f ? $"'{(char)opcode}' (0x{opcode:x2})" : $"0x{opcode:x2}";
        return name is null ? shown : $"{shown} {name}";
    }

    /// <summary>Bounds-checked reads; every error names the file and the byte offset.</summary>
    private sealed class Reader(byte[] data, string source)
    {
        public int Position { get; private set; }

        public int Remaining => data.Length - Position;

        public DataFormatException Error(int offset, string reason) => new(source, 0, $"byte {offset}: {reason}");

        public byte Byte(string what) =>
            Position < data.Length ? data[Position++] : throw Error(Position, $"truncated: the file ends where {what} should be (no STOP opcode)");

        public byte[] Bytes(ulong count, string what)
        {
            if (count > (ulong)Remaining) throw Error(Position, $"truncated: {what} needs {count} bytes, only {Remaining} remain");
            var bytes = data.AsSpan(Position, (int)count).ToArray();
            Position += (int)count;
            return bytes;
        }

        public uint UInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4, what));

        public ulong UInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Bytes(8, what));

        /// <summary>The bytes up to the next newline (consumed, not returned).</summary>
        public byte[] Line(string opcode)
        {
            var end = Array.IndexOf(data, (byte)'\n', Position);
            if (end < 0) throw Error(Position, $"truncated: the argument of {opcode} has no closing newline");
            var line = data.AsSpan(Position, end - Position).ToArray();
            Position = end + 1;
            return line;
        }
    }
}
