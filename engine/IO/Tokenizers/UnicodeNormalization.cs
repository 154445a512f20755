using System.Globalization;
using System.Text;

namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>Unicode NFC (canonical decomposition, canonical ordering, canonical composition).</summary>
/// <remarks>
/// Implemented here because the project runs with invariant globalization, where
/// <see cref="string.Normalize()"/> has no ICU data and leaves non-ASCII text unchanged; tokenizers must
/// normalize exactly as Hugging Face's (NFC) or ids differ for text with combining marks.
/// </remarks>
public static class UnicodeNormalization
{
    private const int SBase = 0xAC00, LBase = 0x1100, VBase = 0x1161, TBase = 0x11A7;
    private const int LCount = 19, VCount = 21, TCount = 28, NCount = VCount * TCount, SCount = LCount * NCount;

    private static readonly Lazy<Tables> Data = new(Tables.Parse);

    public static string Nfc(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Below U+0300 every character is a starter that neither decomposes nor composes with a neighbour
        // that is also below U+0300, so such text is already NFC.
        bool simple = true;
        foreach (char c in text)
        {
            if (c >= '\u0300')
            {
                simple = false;
                break;
            }
        }
        if (simple)
            return text;

        var tables = Data.Value;
        var cps = new List<int>(text.Length + 8);
        foreach (var rune in text.EnumerateRunes())
            Decompose(rune.Value, cps, tables);
        SortCombiningMarks(cps, tables);
        Compose(cps, tables);
        var sb = new StringBuilder(cps.Count);
        foreach (int cp in cps)
            sb.Append(char.ConvertFromUtf32(cp));
        return sb.ToString();
    }

    private static void Decompose(int cp, List<int> output, Tables tables)
    {
        int s = cp - SBase;
        if (s >= 0 && s < SCount)
        {
            output.Add(LBase + s / NCount);
            output.Add(VBase + s % NCount / TCount);
            if (s % TCount != 0)
                output.Add(TBase + s % TCount);
        }
        else if (tables.Decompositions.TryGetValue(cp, out var mapping))
            output.AddRange(mapping);
        else
            output.Add(cp);
    }

    // Stable insertion sort of each run of non-starters by combining class.
    private static void SortCombiningMarks(List<int> cps, Tables tables)
    {
        for (int i = 1; i < cps.Count; i++)
        {
            int cls = tables.Class(cps[i]);
            if (cls == 0)
                continue;
            int j = i;
            while (j > 0 && tables.Class(cps[j - 1]) > cls)
            {
                (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
                j--;
            }
        }
    }

    private static void Compose(List<int> cps, Tables tables)
    {
        if (cps.Count == 0)
            return;
        int starterIndex = tables.Class(cps[0]) == 0 ? 0 : -1;
        int write = 1;
        int lastClass = starterIndex == 0 ? 0 : 256;
        for (int read = 1; read < cps.Count; read++)
        {
            int cp = cps[read];
            int cls = tables.Class(cp);
            bool blocked = starterIndex < 0 || (lastClass != 0 && lastClass >= cls) || (lastClass == 0 && write - 1 != starterIndex);
            if (!blocked && TryCompose(cps[starterIndex], cp, tables, out int composite))
            {
                cps[starterIndex] = composite;
                continue;
            }
            if (cls == 0)
            {
                starterIndex = write;
                lastClass = 0;
            }
            else
                lastClass = cls;
            cps[write++] = cp;
        }
        cps.RemoveRange(write, cps.Count - write);
    }

    private static bool TryCompose(int first, int second, Tables tables, out int composite)
    {
        int l = first - LBase, v = second - VBase;
        if (l >= 0 && l < LCount && v >= 0 && v < VCount)
        {
            composite = SBase + (l * VCount + v) * TCount;
            return true;
        }
        int s = first - SBase, t = second - TBase;
        if (s >= 0 && s < SCount && s % TCount == 0 && t > 0 && t < TCount)
        {
            composite = first + t;
            return true;
        }
        return tables.Compositions.TryGetValue(((long)first << 21) | (uint)second, out composite);
    }

    private sealed class Tables
    {
        public required Dictionary<int, int> Classes { get; init; }
        public required Dictionary<int, int[]> Decompositions { get; init; }
        public required Dictionary<long, int> Compositions { get; init; }

        public int Class(int cp) => cp < 0x300 ? 0 : Classes.GetValueOrDefault(cp);

        public static Tables Parse()
        {
            var classes = new Dictionary<int, int>();
            foreach (var entry in Entries(UnicodeNormalizationData.CombiningClasses))
            {
                var (range, cls) = SplitOnce(entry, ':');
                var bounds = range.Split('-');
                int first = Hex(bounds[0]), last = bounds.Length > 1 ? Hex(bounds[1]) : first;
                for (int cp = first; cp <= last; cp++)
                    classes[cp] = int.Parse(cls, CultureInfo.InvariantCulture);
            }
            var decompositions = new Dictionary<int, int[]>();
            foreach (var entry in Entries(UnicodeNormalizationData.Decompositions))
            {
                var (cp, mapping) = SplitOnce(entry, ':');
                decompositions[Hex(cp)] = mapping.Split(',').Select(Hex).ToArray();
            }
            var compositions = new Dictionary<long, int>();
            foreach (var entry in Entries(UnicodeNormalizationData.Compositions))
            {
                var (pair, composite) = SplitOnce(entry, ':');
                var (a, b) = SplitOnce(pair, ',');
                compositions[((long)Hex(a) << 21) | (uint)Hex(b)] = Hex(composite);
            }
            return new Tables { Classes = classes, Decompositions = decompositions, Compositions = compositions };
        }

        private static string[] Entries(string table) => table.Split(' ', StringSplitOptions.RemoveEmptyEntries);

        private static (string, string) SplitOnce(string s, char separator)
        {
            int i = s.IndexOf(separator);
            return (s[..i], s[(i + 1)..]);
        }

        private static int Hex(string s) => int.Parse(s, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}
