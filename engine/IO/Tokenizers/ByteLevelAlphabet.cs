namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>GPT-2's reversible byte → printable-character map used by byte-level BPE vocabularies: printable
/// Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onward in byte order (space → 'Ġ', '\n' → 'Ċ').</summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly Dictionary<char, byte> CharToByte =
        Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    public static char ToChar(byte value) => ByteToChar[value];

    public static byte ToByte(char symbol) =>
        CharToByte.TryGetValue(symbol, out byte b)
            ? b
            : throw new ArgumentException($"'{symbol}' (U+{(int)symbol:X4}) is not a byte-level BPE symbol.", nameof(symbol));

    /// <summary>The 256 symbols in byte order.</summary>
    public static IReadOnlyList<char> Symbols => ByteToChar;

    /// <summary>UTF-8 bytes of <paramref name="text"/> spelled in the byte-level alphabet.</summary>
    public static string Encode(string text)
    {
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(text);
        var chars = new char[utf8.Length];
        for (int i = 0; i < utf8.Length; i++)
            chars[i] = ByteToChar[utf8[i]];
        return new string(chars);
    }

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }
}
