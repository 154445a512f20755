using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>Fixed-length CLIP text input: <c>Ids</c> and <c>AttentionMask</c> are [L]; the mask is 1 on
/// BOS, content and EOS, 0 on padding (which repeats EOS).</summary>
public sealed record ClipEncoding(int[] Ids, int[] AttentionMask)
{
    /// <summary>Position of the first EOS, where CLIP pools the text embedding.</summary>
    public int EosPosition => AttentionMask.Count(m => m == 1) - 1;
}

/// <summary>OpenAI CLIP's tokenizer: whitespace collapse, lowercase, the CLIP split regex, byte-level BPE whose
/// word-final symbol carries <c>&lt;/w&gt;</c>, then BOS … EOS truncated and padded to 77.</summary>
/// <remarks>
/// The BPE runs in Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> (ByteLevel + EndOfWordSuffix). Text
/// normalization, the split on the two special tokens, BOS/EOS, truncation and padding are done here because
/// the library's BOS/EOS option cannot truncate around them and the normalizer must not touch special tokens.
/// ftfy's mojibake repair (slow HF tokenizer) has no equivalent; it only changes already-broken text.
/// </remarks>
public sealed class ClipTokenizer
{
    public const int DefaultMaxLength = 77;
    public const string StartOfText = "<|startoftext|>";
    public const string EndOfText = "<|endoftext|>";

    /// <summary>CLIP's split regex without the special-token alternatives (those are split off first).</summary>
    public const string PreTokenizerPattern = @"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+";

    private static readonly Regex Whitespace = new(@"\s+", RegexOptions.Compiled);

    private readonly BpeTokenizer _bpe;
    private readonly AddedTokenSplitter _splitter;
    private readonly Dictionary<int, string> _tokenById;

    private ClipTokenizer(BpeModelFiles files)
    {
        Source = files.Source;
        var vocab = files.Vocabulary;
        BosId = vocab.TryGetValue(StartOfText, out int bos) ? bos
            : throw new TokenizerFormatException($"{files.Source}: the vocabulary has no '{StartOfText}'");
        EosId = vocab.TryGetValue(EndOfText, out int eos) ? eos
            : throw new TokenizerFormatException($"{files.Source}: the vocabulary has no '{EndOfText}'");
        var options = new BpeOptions(vocab)
        {
            Merges = MergesInVocabulary(files.Merges, vocab),
            ByteLevel = true,
            EndOfWordSuffix = "</w>",
            UnknownToken = EndOfText,
            PreTokenizer = new RegexPreTokenizer(CodePointRegex.ClipSplitter, null),
        };
        _bpe = BpeModels.Create(options, files.Source);
        _splitter = new AddedTokenSplitter([new AddedToken(BosId, StartOfText, true), new AddedToken(EosId, EndOfText, true)]);
        _tokenById = vocab.ToDictionary(kv => kv.Value, kv => kv.Key);
        VocabSize = vocab.Values.Max() + 1;
    }

    /// <summary>Loads <c>tokenizer.json</c>, or <c>vocab.json</c> + <c>merges.txt</c>.</summary>
    public static ClipTokenizer Load(string folder) => new(BpeModelFiles.Load(folder));

    /// <summary>The file the vocabulary was read from.</summary>
    public string Source { get; }

    public int BosId { get; }
    public int EosId { get; }

    /// <summary>HF pads CLIP text with EOS.</summary>
    public int PadId => EosId;

    public int VocabSize { get; }

    /// <summary>Content ids without BOS/EOS, no length limit.</summary>
    public IReadOnlyList<int> EncodeWords(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        foreach (var (segment, specialId) in _splitter.Split(Normalize(text)))
        {
            if (specialId >= 0)
                ids.Add(specialId);
            else
                ids.AddRange(_bpe.EncodeToIds(segment));
        }
        return ids;
    }

    /// <summary>[BOS] + content (truncated to maxLength − 2) + [EOS], padded with EOS to maxLength when asked.</summary>
    public ClipEncoding Encode(string text, int maxLength = DefaultMaxLength, bool padToMaxLength = true)
    {
        if (maxLength < 2)
            throw new ArgumentOutOfRangeException(nameof(maxLength), $"maxLength must leave room for BOS and EOS, got {maxLength}.");
        var words = EncodeWords(text);
        int content = Math.Min(words.Count, maxLength - 2);
        int length = padToMaxLength ? maxLength : content + 2;
        var ids = new int[length];
        var mask = new int[length];
        ids[0] = BosId;
        for (int i = 0; i < content; i++)
            ids[i + 1] = words[i];
        for (int i = content + 1; i < length; i++)
            ids[i] = EosId;
        for (int i = 0; i < content + 2; i++)
            mask[i] = 1;
        return new ClipEncoding(ids, mask);
    }

    /// <summary>Text of the ids, BOS/EOS dropped, each <c>&lt;/w&gt;</c> read as a word break.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if (id == BosId || id == EosId)
                continue;
            if (!_tokenById.TryGetValue(id, out var token))
                throw new ArgumentOutOfRangeException(nameof(ids), $"Token id {id} is not in the CLIP vocabulary.");
            bool wordEnd = token.EndsWith("</w>", StringComparison.Ordinal);
            foreach (char c in wordEnd ? token[..^4] : token)
                bytes.Add(ByteLevelAlphabet.ToByte(c));
            if (wordEnd)
                bytes.Add((byte)' ');
        }
        return Encoding.UTF8.GetString(bytes.ToArray()).TrimEnd(' ');
    }

    public int TokenToId(string token) =>
        _bpe.Vocabulary.TryGetValue(token, out int id) ? id : throw new KeyNotFoundException($"Token '{token}' is not in the CLIP vocabulary.");

    /// <summary>NFC, whitespace runs to one space, trim, Python-style lowercase.</summary>
    public static string Normalize(string text)
    {
        string collapsed = Whitespace.Replace(UnicodeNormalization.Nfc(TextSanitizer.ReplaceLoneSurrogates(text)), " ").Trim();
        // Python's str.lower() maps U+0130 to "i̇" (two code points); it is the only unconditional special case.
        return collapsed.Replace("\u0130", "i\u0307", StringComparison.Ordinal).ToLowerInvariant();
    }

    // The slow HF tokenizer keeps only the merges the vocabulary was built from (merges.txt may be longer).
    private static List<string> MergesInVocabulary(List<string> merges, Dictionary<string, int> vocab)
    {
        var kept = new List<string>(merges.Count);
        foreach (var merge in merges)
        {
            int space = merge.IndexOf(' ');
            if (space <= 0 || !vocab.ContainsKey(merge[..space] + merge[(space + 1)..]))
                break;
            kept.Add(merge);
        }
        return kept;
    }
}
