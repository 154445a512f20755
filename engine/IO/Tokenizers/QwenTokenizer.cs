using System.Text;
using Microsoft.ML.Tokenizers;

namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>The Qwen2 / Qwen2.5-VL tokenizer: byte-level BPE with NFC normalization, the Qwen2 split regex
/// (single digits) and added tokens matched literally. No BOS/EOS are added.</summary>
/// <remarks>
/// The BPE itself (byte-level alphabet, pre-tokenizer regex, merge ranks) runs in Microsoft.ML.Tokenizers'
/// <see cref="BpeTokenizer"/>. Added tokens are split off here instead of in the library because the library
/// normalizes the whole string before it looks for special tokens, whereas HF extracts added tokens first and
/// normalizes only the text between them; and because HF's <c>skip_special_tokens</c> keeps non-special added
/// tokens (e.g. <c>&lt;tool_call&gt;</c>), which the library cannot tell apart from special ones when decoding.
/// .NET's regex engine works on UTF-16 code units, so the split regex runs in the rewritten form of
/// <see cref="CodePointRegex"/> to treat astral letters and digits (e.g. mathematical alphanumerics) as HF does.
/// </remarks>
public sealed class QwenTokenizer
{
    /// <summary>Qwen2's pre-tokenizer regex as tokenizer.json spells it (matching uses <see cref="CodePointRegex.Qwen"/>).</summary>
    public const string PreTokenizerPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public const string EndOfText = "<|endoftext|>";
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";
    public const string VisionStart = "<|vision_start|>";
    public const string VisionEnd = "<|vision_end|>";
    public const string VisionPad = "<|vision_pad|>";
    public const string ImagePad = "<|image_pad|>";
    public const string VideoPad = "<|video_pad|>";

    private readonly BpeTokenizer _bpe;
    private readonly AddedTokenSplitter _splitter;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly Dictionary<string, int> _addedByContent;
    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<int, string> _tokenById;

    private QwenTokenizer(BpeModelFiles files)
    {
        Source = files.Source;
        var options = new BpeOptions(files.Vocabulary)
        {
            Merges = files.Merges,
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(CodePointRegex.QwenSplitter, null),
        };
        _bpe = BpeModels.Create(options, files.Source);
        _vocabulary = files.Vocabulary;
        _tokenById = files.Vocabulary.ToDictionary(kv => kv.Value, kv => kv.Key);
        _addedById = files.AddedTokens.ToDictionary(t => t.Id);
        _addedByContent = files.AddedTokens.ToDictionary(t => t.Content, t => t.Id, StringComparer.Ordinal);
        _splitter = new AddedTokenSplitter(files.AddedTokens);
        BaseVocabularySize = files.Vocabulary.Count;
        int maxId = Math.Max(files.Vocabulary.Count == 0 ? -1 : files.Vocabulary.Values.Max(),
            files.AddedTokens.Count == 0 ? -1 : files.AddedTokens.Max(t => t.Id));
        VocabSize = maxId + 1;
        string source = files.Source;
        EndOfTextId = Required(EndOfText, source);
        ImStartId = Required(ImStart, source);
        ImEndId = Required(ImEnd, source);
        VisionStartId = Required(VisionStart, source);
        VisionEndId = Required(VisionEnd, source);
        ImagePadId = Required(ImagePad, source);
        VideoPadId = _addedByContent.GetValueOrDefault(VideoPad, -1);
    }

    /// <summary>Loads <c>tokenizer.json</c>, or <c>vocab.json</c> + <c>merges.txt</c> + <c>tokenizer_config.json</c>.</summary>
    public static QwenTokenizer Load(string folder) => new(BpeModelFiles.Load(folder));

    /// <summary>Whether the folder holds tokenizer files (<c>tokenizer.json</c>, or <c>vocab.json</c> with <c>merges.txt</c>).</summary>
    public static bool IsPresentIn(string folder) => BpeModelFiles.IsPresent(folder);

    /// <summary>The file the vocabulary was read from.</summary>
    public string Source { get; }

    /// <summary>Highest id + 1 over the base vocabulary and the added tokens (151 665 for Qwen2.5).</summary>
    public int VocabSize { get; }

    /// <summary>Entries of the BPE vocabulary without added tokens (151 643 for Qwen2.5).</summary>
    public int BaseVocabularySize { get; }

    public int EndOfTextId { get; }
    public int ImStartId { get; }
    public int ImEndId { get; }
    public int VisionStartId { get; }
    public int VisionEndId { get; }
    public int ImagePadId { get; }

    /// <summary>-1 when the vocabulary has no video token.</summary>
    public int VideoPadId { get; }

    /// <summary>Chat end-of-turn, the EOS of instruct models.</summary>
    public int EosId => ImEndId;

    /// <summary>HF's pad token for Qwen2.5 (<c>&lt;|endoftext|&gt;</c>).</summary>
    public int PadId => EndOfTextId;

    public IReadOnlyCollection<AddedToken> AddedTokens => _addedById.Values;

    public IReadOnlyList<int> Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        foreach (var (segment, addedId) in _splitter.Split(TextSanitizer.ReplaceLoneSurrogates(text)))
        {
            if (addedId >= 0)
                ids.Add(addedId);
            else
                ids.AddRange(_bpe.EncodeToIds(UnicodeNormalization.Nfc(segment)));
        }
        return ids;
    }

    /// <param name="skipSpecial">Drop added tokens flagged special (HF <c>skip_special_tokens</c>); non-special
    /// added tokens are kept.</param>
    public string Decode(IEnumerable<int> ids, bool skipSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();
        var run = new List<int>();
        foreach (int id in ids)
        {
            if (_addedById.TryGetValue(id, out var added))
            {
                FlushRun();
                if (!(skipSpecial && added.Special))
                    text.Append(added.Content);
            }
            else
            {
                if (id < 0 || id >= VocabSize)
                    throw new ArgumentOutOfRangeException(nameof(ids), $"Token id {id} is outside the vocabulary [0, {VocabSize}).");
                run.Add(id);
            }
        }
        FlushRun();
        return text.ToString();

        // Byte-level tokens can split a UTF-8 sequence, so consecutive BPE ids are decoded together.
        void FlushRun()
        {
            if (run.Count == 0)
                return;
            text.Append(_bpe.Decode(run));
            run.Clear();
        }
    }

    public int TokenToId(string token) =>
        TryTokenToId(token, out int id) ? id : throw new KeyNotFoundException($"Token '{token}' is not in the Qwen vocabulary.");

    /// <summary>Looks up an added token or a BPE vocabulary entry (spelled in the byte-level alphabet, e.g. "Ġthe").</summary>
    public bool TryTokenToId(string token, out int id)
    {
        return _addedByContent.TryGetValue(token, out id) || _vocabulary.TryGetValue(token, out id);
    }

    public string? IdToToken(int id) =>
        _addedById.TryGetValue(id, out var added) ? added.Content : _tokenById.GetValueOrDefault(id);

    public bool IsAddedToken(int id) => _addedById.ContainsKey(id);

    private int Required(string content, string source) =>
        _addedByContent.TryGetValue(content, out int id)
            ? id
            : throw new TokenizerFormatException($"{source}: added token '{content}' is missing; a Qwen2-VL tokenizer needs it");
}
