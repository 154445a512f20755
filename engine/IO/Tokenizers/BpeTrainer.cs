namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>Plain BPE training over a word-frequency table: repeatedly merge the most frequent adjacent pair.
/// Ties go to the ordinally smallest pair so the result never depends on dictionary order.</summary>
internal static class BpeTrainer
{
    /// <param name="words">Each word as its initial symbols (byte-level characters, possibly suffixed) with its count.</param>
    /// <param name="vocabulary">Initial symbols → ids; merged tokens are appended with the next free ids.</param>
    /// <param name="targetSize">Stop when the vocabulary has this many entries (or no pair is left).</param>
    /// <returns>Merges in rank order as "left right".</returns>
    public static List<string> Train(
        IReadOnlyList<(List<string> Symbols, int Count)> words, Dictionary<string, int> vocabulary, int targetSize)
    {
        var merges = new List<string>();
        while (vocabulary.Count < targetSize)
        {
            var pairCounts = new Dictionary<(string, string), int>();
            foreach (var (symbols, count) in words)
                for (int i = 0; i + 1 < symbols.Count; i++)
                    pairCounts[(symbols[i], symbols[i + 1])] = pairCounts.GetValueOrDefault((symbols[i], symbols[i + 1])) + count;
            if (pairCounts.Count == 0)
                break;

            var best = pairCounts
                .OrderByDescending(kv => kv.Value)
                .ThenBy(kv => kv.Key.Item1, StringComparer.Ordinal)
                .ThenBy(kv => kv.Key.Item2, StringComparer.Ordinal)
                .First().Key;
            string merged = best.Item1 + best.Item2;
            merges.Add(best.Item1 + " " + best.Item2);
            vocabulary.TryAdd(merged, vocabulary.Count);
            foreach (var (symbols, _) in words)
            {
                for (int i = 0; i + 1 < symbols.Count; i++)
                {
                    if (symbols[i] == best.Item1 && symbols[i + 1] == best.Item2)
                    {
                        symbols[i] = merged;
                        symbols.RemoveAt(i + 1);
                    }
                }
            }
        }
        return merges;
    }
}
