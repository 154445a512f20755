namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>Cuts text at literal occurrences of added tokens before any normalization or pre-tokenization, as HF
/// does (leftmost match; the longest token wins when several start at the same place).</summary>
internal sealed class AddedTokenSplitter
{
    private readonly Dictionary<char, (string Content, int Id)[]> _byFirstChar;

    public AddedTokenSplitter(IEnumerable<AddedToken> tokens)
    {
        _byFirstChar = tokens
            .Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).Select(t => (t.Content, t.Id)).ToArray());
    }

    /// <summary>Segments in order: either a text gap (Id = -1) or one added token.</summary>
    public IEnumerable<(string Text, int Id)> Split(string text)
    {
        int gapStart = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (!_byFirstChar.TryGetValue(text[i], out var candidates))
                continue;
            foreach (var (content, id) in candidates)
            {
                if (string.CompareOrdinal(text, i, content, 0, content.Length) != 0)
                    continue;
                if (i > gapStart)
                    yield return (text[gapStart..i], -1);
                yield return (content, id);
                i += content.Length - 1;
                gapStart = i + 1;
                break;
            }
        }
        if (gapStart < text.Length)
            yield return (text[gapStart..], -1);
    }
}
