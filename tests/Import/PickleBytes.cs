using System.Text;

namespace StyleAlign.Tests.Import;

/// <summary>Pickles of a list of strings written byte by byte the way Python writes them.</summary>
internal static class PickleBytes
{
    /// <summary>
    /// Protocol 0 as Python 2's cPickle.dump writes a list of unicode names (FlickrStyle10k's train.p): MARK LIST PUT,
    /// then per item UNICODE, PUT and APPEND, memo ids from 1 (Python 3 starts them at 0), then STOP:
    /// "(lp1\nVname\np2\naVname\np3\na.".
    /// </summary>
    public static byte[] Protocol0(IReadOnlyList<string> items, int firstMemo = 1)
    {
        var bytes = new List<byte>();
        bytes.AddRange(Encoding.ASCII.GetBytes($"(lp{firstMemo}\n"));
        for (var i = 0; i < items.Count; i++)
        {
            bytes.Add((byte)'V');
            bytes.AddRange(RawUnicodeEscape(items[i]));
            bytes.AddRange(Encoding.ASCII.GetBytes($"\np{firstMemo + i + 1}\na"));
        }
        bytes.Add((byte)'.');
        return bytes.ToArray();
    }

    /// <summary>Protocol 2 as Python 3 writes it: PROTO 2, EMPTY_LIST, BINPUT 0, MARK, (BINUNICODE, BINPUT)…, APPENDS, STOP.</summary>
    public static byte[] Protocol2(IReadOnlyList<string> items)
    {
        var bytes = new List<byte> { 0x80, 2, (byte)']', (byte)'q', 0, (byte)'(' };
        for (var i = 0; i < items.Count; i++)
        {
            var utf8 = Encoding.UTF8.GetBytes(items[i]);
            bytes.Add((byte)'X');
            bytes.AddRange(BitConverter.GetBytes((uint)utf8.Length));
            bytes.AddRange(utf8);
            bytes.Add((byte)'q');
            bytes.Add((byte)(i + 1));
        }
        bytes.Add((byte)'e');
        bytes.Add((byte)'.');
        return bytes.ToArray();
    }

    /// <summary>Python's raw-unicode-escape as pickle uses it: Latin-1 bytes, \uXXXX above 0xFF and for '\' and newline.</summary>
    private static IEnumerable<byte> RawUnicodeEscape(string text)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value is < 0x100 and not '\\' and not '\n') yield return (byte)rune.Value;
            else
                foreach (var b in Encoding.ASCII.GetBytes(rune.Value > 0xFFFF ? $"\\U{rune.Value:x8}" : $"\\u{rune.Value:x4}")) yield return b;
        }
    }
}
