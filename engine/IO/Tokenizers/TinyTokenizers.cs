using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>Writes the small tokenizers the built-in tiny models use. Both follow Hugging Face's
/// <c>tokenizer.json</c> schema, so <c>tokenizers.Tokenizer.from_file</c> reads them too; merges are learned
/// deterministically from <see cref="TinyCorpus"/>, so the files are identical on every run.</summary>
public static class TinyTokenizers
{
    /// <summary>Ids of the tiny Qwen tokenizer's added tokens. The vision ids and BOS/EOS/pad positions equal the
    /// tiny reference model's config (image 500, video 501, vision start 502, end 503, vision token 504, bos 505,
    /// eos 506); ids below 500 are byte-level BPE tokens.</summary>
    public static class QwenSpecialIds
    {
        public const int ImagePad = 500;
        public const int VideoPad = 501;
        public const int VisionStart = 502;
        public const int VisionEnd = 503;
        public const int VisionPad = 504;
        public const int EndOfText = 505;
        public const int ImEnd = 506;
        public const int ImStart = 507;

        /// <summary>Base BPE entries: the 256 byte symbols plus learned merges.</summary>
        public const int BaseVocabularySize = 500;
        public const int VocabSize = 508;
    }

    /// <summary>Ids of the tiny CLIP tokenizer's special tokens (the last two of its 512 entries).</summary>
    public static class ClipSpecialIds
    {
        public const int StartOfText = 510;
        public const int EndOfText = 511;
        public const int VocabSize = 512;
    }

    private static readonly (int Id, string Content)[] QwenAdded =
    [
        (QwenSpecialIds.ImagePad, QwenTokenizer.ImagePad), (QwenSpecialIds.VideoPad, QwenTokenizer.VideoPad),
        (QwenSpecialIds.VisionStart, QwenTokenizer.VisionStart), (QwenSpecialIds.VisionEnd, QwenTokenizer.VisionEnd),
        (QwenSpecialIds.VisionPad, QwenTokenizer.VisionPad), (QwenSpecialIds.EndOfText, QwenTokenizer.EndOfText),
        (QwenSpecialIds.ImEnd, QwenTokenizer.ImEnd), (QwenSpecialIds.ImStart, QwenTokenizer.ImStart),
    ];

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes <c>tokenizer.json</c>, <c>tokenizer_config.json</c>, <c>vocab.json</c> and <c>merges.txt</c>
    /// of a Qwen2-style byte-level BPE tokenizer with 508 ids.</summary>
    public static void WriteQwen(string folder)
    {
        var vocab = ByteSymbols();
        var regex = new Regex(QwenTokenizer.PreTokenizerPattern);
        var words = CountWords(TinyCorpus.Lines.SelectMany(line => regex.Matches(line).Select(m => m.Value)))
            .Select(w => (ByteLevelAlphabet.Encode(w.Word).Select(c => c.ToString()).ToList(), w.Count))
            .ToList();
        var merges = BpeTrainer.Train(words, vocab, QwenSpecialIds.BaseVocabularySize);
        if (vocab.Count != QwenSpecialIds.BaseVocabularySize)
            throw new InvalidOperationException($"The tiny corpus yields only {vocab.Count} BPE entries; {QwenSpecialIds.BaseVocabularySize} are required.");

        var byteLevel = new Dictionary<string, object?>
        {
            ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false,
        };
        var tokenizer = new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = QwenAdded.Select(a => AddedTokenJson(a.Id, a.Content)).ToList(),
            ["normalizer"] = new Dictionary<string, object?> { ["type"] = "NFC" },
            ["pre_tokenizer"] = new Dictionary<string, object?>
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new object[]
                {
                    new Dictionary<string, object?>
                    {
                        ["type"] = "Split",
                        ["pattern"] = new Dictionary<string, object?> { ["Regex"] = QwenTokenizer.PreTokenizerPattern },
                        ["behavior"] = "Isolated",
                        ["invert"] = false,
                    },
                    byteLevel,
                },
            },
            ["post_processor"] = byteLevel,
            ["decoder"] = byteLevel,
            ["model"] = BpeModelJson(vocab, merges, unknownToken: null, endOfWordSuffix: ""),
        };
        var config = QwenConfigJson(
            QwenAdded.ToDictionary(a => a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), a => (object?)AddedTokenJson(null, a.Content)),
            QwenAdded.Where(a => a.Id != QwenSpecialIds.EndOfText).Select(a => a.Content), modelMaxLength: 32768);
        WriteFiles(folder, tokenizer, config, vocab, merges);
    }

    /// <summary>Writes the same four files for a CLIP-style tokenizer (<c>&lt;/w&gt;</c> word ends) with 512 ids.</summary>
    public static void WriteClip(string folder)
    {
        var vocab = ByteSymbols();
        // Word-final forms only for printable ASCII, which keeps the whole vocabulary within 512 ids; other
        // word-final bytes become the unknown token, as in any BPE vocabulary that lacks them.
        for (int b = '!'; b <= '~'; b++)
            vocab.Add(ByteLevelAlphabet.ToChar((byte)b) + "</w>", vocab.Count);
        var regex = new Regex(ClipTokenizer.PreTokenizerPattern, RegexOptions.IgnoreCase);
        var words = CountWords(TinyCorpus.Lines.SelectMany(line => regex.Matches(ClipTokenizer.Normalize(line)).Select(m => m.Value)))
            .Select(w =>
            {
                var symbols = ByteLevelAlphabet.Encode(w.Word).Select(c => c.ToString()).ToList();
                symbols[^1] += "</w>";
                return (symbols, w.Count);
            })
            .ToList();
        var merges = BpeTrainer.Train(words, vocab, ClipSpecialIds.StartOfText);
        if (vocab.Count != ClipSpecialIds.StartOfText)
            throw new InvalidOperationException($"The tiny corpus yields only {vocab.Count} CLIP entries; {ClipSpecialIds.StartOfText} are required.");
        vocab.Add(ClipTokenizer.StartOfText, ClipSpecialIds.StartOfText);
        vocab.Add(ClipTokenizer.EndOfText, ClipSpecialIds.EndOfText);

        var tokenizer = new Dictionary<string, object?>
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new object[]
            {
                AddedTokenJson(ClipSpecialIds.StartOfText, ClipTokenizer.StartOfText),
                AddedTokenJson(ClipSpecialIds.EndOfText, ClipTokenizer.EndOfText),
            },
            ["normalizer"] = new Dictionary<string, object?>
            {
                ["type"] = "Sequence",
                ["normalizers"] = new object[]
                {
                    new Dictionary<string, object?> { ["type"] = "NFC" },
                    new Dictionary<string, object?>
                    {
                        ["type"] = "Replace",
                        ["pattern"] = new Dictionary<string, object?> { ["Regex"] = @"\s+" },
                        ["content"] = " ",
                    },
                    new Dictionary<string, object?> { ["type"] = "Lowercase" },
                },
            },
            ["pre_tokenizer"] = new Dictionary<string, object?>
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new object[]
                {
                    new Dictionary<string, object?>
                    {
                        ["type"] = "Split",
                        ["pattern"] = new Dictionary<string, object?> { ["Regex"] = ClipTokenizer.PreTokenizerPattern },
                        ["behavior"] = "Removed",
                        ["invert"] = true,
                    },
                    new Dictionary<string, object?>
                    {
                        ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false,
                    },
                },
            },
            ["post_processor"] = new Dictionary<string, object?>
            {
                ["type"] = "RobertaProcessing",
                ["sep"] = new object[] { ClipTokenizer.EndOfText, ClipSpecialIds.EndOfText },
                ["cls"] = new object[] { ClipTokenizer.StartOfText, ClipSpecialIds.StartOfText },
                ["trim_offsets"] = false,
                ["add_prefix_space"] = false,
            },
            ["decoder"] = new Dictionary<string, object?>
            {
                ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = true, ["use_regex"] = true,
            },
            ["model"] = BpeModelJson(vocab, merges, unknownToken: ClipTokenizer.EndOfText, endOfWordSuffix: "</w>"),
        };
        var config = new Dictionary<string, object?>
        {
            ["add_prefix_space"] = false,
            ["added_tokens_decoder"] = new Dictionary<string, object?>
            {
                [ClipSpecialIds.StartOfText.ToString(System.Globalization.CultureInfo.InvariantCulture)] = AddedTokenJson(null, ClipTokenizer.StartOfText),
                [ClipSpecialIds.EndOfText.ToString(System.Globalization.CultureInfo.InvariantCulture)] = AddedTokenJson(null, ClipTokenizer.EndOfText),
            },
            ["bos_token"] = ClipTokenizer.StartOfText,
            ["clean_up_tokenization_spaces"] = true,
            ["do_lower_case"] = true,
            ["eos_token"] = ClipTokenizer.EndOfText,
            ["errors"] = "replace",
            ["model_max_length"] = ClipTokenizer.DefaultMaxLength,
            ["pad_token"] = ClipTokenizer.EndOfText,
            ["tokenizer_class"] = "CLIPTokenizer",
            ["unk_token"] = ClipTokenizer.EndOfText,
        };
        WriteFiles(folder, tokenizer, config, vocab, merges);
    }

    private static Dictionary<string, int> ByteSymbols()
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int b = 0; b < 256; b++)
            vocab.Add(ByteLevelAlphabet.ToChar((byte)b).ToString(), b);
        return vocab;
    }

    private static List<(string Word, int Count)> CountWords(IEnumerable<string> words) =>
        words.GroupBy(w => w, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Count()))
            .OrderBy(w => w.Key, StringComparer.Ordinal)
            .ToList();

    /// <summary>A Qwen2 <c>tokenizer_config.json</c>: no BOS added, end of turn as EOS, end of text as pad.</summary>
    internal static Dictionary<string, object?> QwenConfigJson(
        Dictionary<string, object?> addedTokensDecoder, IEnumerable<string> additionalSpecialTokens, int modelMaxLength) => new()
    {
        ["add_bos_token"] = false,
        ["add_prefix_space"] = false,
        ["added_tokens_decoder"] = addedTokensDecoder,
        ["additional_special_tokens"] = additionalSpecialTokens.ToList(),
        ["bos_token"] = null,
        ["clean_up_tokenization_spaces"] = false,
        ["eos_token"] = QwenTokenizer.ImEnd,
        ["errors"] = "replace",
        ["model_max_length"] = modelMaxLength,
        ["pad_token"] = QwenTokenizer.EndOfText,
        ["split_special_tokens"] = false,
        ["tokenizer_class"] = "Qwen2Tokenizer",
        ["unk_token"] = null,
    };

    internal static string ToJson(object value) => JsonSerializer.Serialize(value, JsonOptions);

    private static Dictionary<string, object?> AddedTokenJson(int? id, string content)
    {
        var token = new Dictionary<string, object?>();
        if (id is int value)
            token["id"] = value;
        token["content"] = content;
        token["single_word"] = false;
        token["lstrip"] = false;
        token["rstrip"] = false;
        token["normalized"] = false;
        token["special"] = true;
        return token;
    }

    private static Dictionary<string, object?> BpeModelJson(
        Dictionary<string, int> vocab, List<string> merges, string? unknownToken, string endOfWordSuffix) => new()
    {
        ["type"] = "BPE",
        ["dropout"] = null,
        ["unk_token"] = unknownToken,
        ["continuing_subword_prefix"] = "",
        ["end_of_word_suffix"] = endOfWordSuffix,
        ["fuse_unk"] = false,
        ["byte_fallback"] = false,
        ["ignore_merges"] = false,
        ["vocab"] = vocab.OrderBy(kv => kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value),
        ["merges"] = merges,
    };

    private static void WriteFiles(
        string folder, object tokenizer, object config, Dictionary<string, int> vocab, List<string> merges)
    {
        Directory.CreateDirectory(folder);
        WriteAtomically(Path.Combine(folder, "tokenizer.json"), JsonSerializer.Serialize(tokenizer, JsonOptions));
        WriteAtomically(Path.Combine(folder, "tokenizer_config.json"), JsonSerializer.Serialize(config, JsonOptions));
        var orderedVocab = vocab.OrderBy(kv => kv.Value).ToDictionary(kv => kv.Key, kv => kv.Value);
        WriteAtomically(Path.Combine(folder, "vocab.json"), JsonSerializer.Serialize(orderedVocab, JsonOptions));
        WriteAtomically(Path.Combine(folder, "merges.txt"), "#version: 0.2\n" + string.Join("\n", merges) + "\n");
    }

    private static void WriteAtomically(string path, string contents)
    {
        string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(temp, contents, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(temp, path, overwrite: true);
    }
}
