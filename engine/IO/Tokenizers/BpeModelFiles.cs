using System.Text.Json;
using StyleAlign.Engine.IO.Config;

namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>An added token from <c>tokenizer.json</c> (<c>added_tokens</c>) or <c>tokenizer_config.json</c>
/// (<c>added_tokens_decoder</c>). <paramref name="Special"/> is HF's flag: special tokens are dropped by
/// <c>skip_special_tokens</c>, non-special added tokens are kept.</summary>
public readonly record struct AddedToken(int Id, string Content, bool Special);

/// <summary>The parts of a Hugging Face BPE tokenizer folder this project needs: vocabulary, merges in rank order
/// ("a b" strings) and added tokens, checked on load (ids in range and unique, no duplicate merges, the JSON
/// kinds HF writes) with every problem listed in one error.</summary>
internal sealed partial record BpeModelFiles(
    Dictionary<string, int> Vocabulary, List<string> Merges, List<AddedToken> AddedTokens, string Source)
{
    /// <summary>Reads <c>tokenizer.json</c> if present, otherwise <c>vocab.json</c> + <c>merges.txt</c> (+ the
    /// added tokens of <c>tokenizer_config.json</c>).</summary>
    public static BpeModelFiles Load(string folder)
    {
        string fullFolder = Path.GetFullPath(folder);
        string tokenizerJson = Path.Combine(fullFolder, "tokenizer.json");
        // Present but not a file (a folder, a FIFO) is an error, not a reason to fall back to vocab.json.
        if (File.Exists(tokenizerJson) || Directory.Exists(tokenizerJson))
            return FromTokenizerJson(tokenizerJson);
        string vocabJson = Path.Combine(fullFolder, "vocab.json"), mergesTxt = Path.Combine(fullFolder, "merges.txt");
        if (File.Exists(vocabJson) && File.Exists(mergesTxt))
            return FromVocabAndMerges(vocabJson, mergesTxt, Path.Combine(fullFolder, "tokenizer_config.json"));
        throw new InputFileException(fullFolder, "holds no tokenizer: expected tokenizer.json, or vocab.json together with merges.txt");
    }

    /// <summary>Whether the folder holds files <see cref="Load"/> would read (it may still find them malformed).</summary>
    public static bool IsPresent(string folder)
    {
        string tokenizerJson = Path.Combine(folder, "tokenizer.json");
        return File.Exists(tokenizerJson) || Directory.Exists(tokenizerJson)
            || (File.Exists(Path.Combine(folder, "vocab.json")) && File.Exists(Path.Combine(folder, "merges.txt")));
    }

    public static BpeModelFiles FromTokenizerJson(string path)
    {
        using var doc = ParseJson(path, InputFiles.MaxTokenizerBytes);
        var problems = new TokenizerProblems(path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw problems.Fatal($"must be a JSON object, found {ConfigJson.Describe(root)}");
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw problems.Fatal("missing object 'model'");
        if (model.TryGetProperty("type", out var type) && ConfigJson.TryGetString(type) != "BPE")
            throw problems.Fatal($"'model.type' is {ConfigJson.Describe(type)}, expected \"BPE\"");
        if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
            throw problems.Fatal("missing object 'model.vocab' (token → id)");
        if (!model.TryGetProperty("merges", out var merges) || merges.ValueKind != JsonValueKind.Array)
            throw problems.Fatal("missing array 'model.merges'");

        var vocabulary = ReadVocabulary(vocab, "model.vocab", problems);
        var mergeList = ReadMerges(merges, problems);
        // HF's fast BPE refuses a merge whose parts or result are not tokens (checked once the vocabulary is sound,
        // so that one bad entry is not reported again for every merge that uses it).
        bool vocabularySound = !problems.Any;
        for (int rank = 0; vocabularySound && rank < mergeList.Count && !problems.Full; rank++)
        {
            int space = mergeList[rank].IndexOf(' ');
            string left = mergeList[rank][..space], right = mergeList[rank][(space + 1)..];
            foreach (string part in new[] { left, right, left + right })
                if (!vocabulary.ContainsKey(part))
                {
                    problems.Add($"'model.merges[{rank}]' \"{mergeList[rank]}\" uses '{part}', which is not in the vocabulary");
                    break;
                }
        }

        var added = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out var addedArray) && addedArray.ValueKind != JsonValueKind.Null)
        {
            if (addedArray.ValueKind != JsonValueKind.Array) problems.Add($"'added_tokens' must be an array, found {ConfigJson.Describe(addedArray)}");
            else
            {
                int index = 0;
                foreach (var a in addedArray.EnumerateArray())
                {
                    string key = $"added_tokens[{index++}]";
                    if (ReadAddedToken(a, key, id: null, problems) is { } token) added.Add(token);
                }
            }
        }
        CheckAddedTokens(added, vocabulary, problems);
        problems.ThrowIfAny();
        return new BpeModelFiles(vocabulary, mergeList, added, path);
    }

    public static BpeModelFiles FromVocabAndMerges(string vocabPath, string mergesPath, string? configPath)
    {
        var vocabProblems = new TokenizerProblems(vocabPath);
        Dictionary<string, int> vocab;
        using (var doc = ParseJson(vocabPath, InputFiles.MaxTokenizerBytes))
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw vocabProblems.Fatal($"must be a JSON object of token → id, found {ConfigJson.Describe(doc.RootElement)}");
            vocab = ReadVocabulary(doc.RootElement, "", vocabProblems);
        }
        vocabProblems.ThrowIfAny();

        var merges = ReadMergesText(mergesPath);
        var added = new List<AddedToken>();
        if (configPath is not null && File.Exists(configPath))
        {
            var configProblems = new TokenizerProblems(configPath);
            using var doc = ParseJson(configPath, InputFiles.MaxConfigBytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw configProblems.Fatal($"must be a JSON object, found {ConfigJson.Describe(doc.RootElement)}");
            if (doc.RootElement.TryGetProperty("added_tokens_decoder", out var decoder) && decoder.ValueKind != JsonValueKind.Null)
            {
                if (decoder.ValueKind != JsonValueKind.Object)
                    configProblems.Add($"'added_tokens_decoder' must be an object of id → token, found {ConfigJson.Describe(decoder)}");
                else
                    foreach (var entry in decoder.EnumerateObject())
                    {
                        string name = ConfigJson.TryGetName(entry) ?? "?";
                        string key = $"added_tokens_decoder.{name}";
                        if (!int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id)
                            || id >= ConfigLimits.MaxVocabSize)
                            configProblems.Add($"'{key}': the key must be a token id in [0, {ConfigLimits.MaxVocabSize})");
                        else if (ReadAddedToken(entry.Value, key, id, configProblems) is { } token)
                            added.Add(token);
                    }
            }
            CheckAddedTokens(added, vocab, configProblems);
            configProblems.ThrowIfAny();
        }
        return new BpeModelFiles(vocab, merges, added, vocabPath);
    }

    private static JsonDocument ParseJson(string path, long limit)
    {
        byte[] bytes = InputFiles.ReadAllBytes(path, limit, Path.GetFileName(path));
        return InputFiles.ParseJson(bytes, path, (message, inner) => new TokenizerFormatException(message, inner));
    }
}
