using System.Text.Json;

namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>An added token from <c>tokenizer.json</c> (<c>added_tokens</c>) or <c>tokenizer_config.json</c>
/// (<c>added_tokens_decoder</c>). <paramref name="Special"/> is HF's flag: special tokens are dropped by
/// <c>skip_special_tokens</c>, non-special added tokens are kept.</summary>
public readonly record struct AddedToken(int Id, string Content, bool Special);

/// <summary>The parts of a Hugging Face BPE tokenizer folder this project needs: vocabulary, merges in rank order
/// ("a b" strings) and added tokens.</summary>
internal sealed record BpeModelFiles(
    Dictionary<string, int> Vocabulary, List<string> Merges, List<AddedToken> AddedTokens, string Source)
{
    /// <summary>Reads <c>tokenizer.json</c> if present, otherwise <c>vocab.json</c> + <c>merges.txt</c> (+ the
    /// added tokens of <c>tokenizer_config.json</c>).</summary>
    public static BpeModelFiles Load(string folder)
    {
        string tokenizerJson = Path.Combine(folder, "tokenizer.json");
        if (File.Exists(tokenizerJson))
            return FromTokenizerJson(tokenizerJson);
        string vocabJson = Path.Combine(folder, "vocab.json"), mergesTxt = Path.Combine(folder, "merges.txt");
        if (File.Exists(vocabJson) && File.Exists(mergesTxt))
            return FromVocabAndMerges(vocabJson, mergesTxt, Path.Combine(folder, "tokenizer_config.json"));
        throw new FileNotFoundException(
            $"No tokenizer in '{folder}': expected tokenizer.json, or vocab.json together with merges.txt.");
    }

    public static BpeModelFiles FromTokenizerJson(string path)
    {
        using var doc = ParseJson(path);
        var root = doc.RootElement;
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{path}': missing object 'model'.");
        string type = model.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
        if (type != "BPE")
            throw new InvalidDataException($"'{path}': model.type is '{type}', expected 'BPE'.");
        if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{path}': missing object 'model.vocab'.");
        if (!model.TryGetProperty("merges", out var merges) || merges.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"'{path}': missing array 'model.merges'.");

        var added = new List<AddedToken>();
        if (root.TryGetProperty("added_tokens", out var addedArray) && addedArray.ValueKind == JsonValueKind.Array)
        {
            foreach (var a in addedArray.EnumerateArray())
                added.Add(new AddedToken(
                    a.GetProperty("id").GetInt32(), a.GetProperty("content").GetString()!,
                    a.TryGetProperty("special", out var s) && s.GetBoolean()));
        }
        return new BpeModelFiles(ReadVocabulary(vocab, path), ReadMerges(merges, path), added, path);
    }

    public static BpeModelFiles FromVocabAndMerges(string vocabPath, string mergesPath, string? configPath)
    {
        Dictionary<string, int> vocab;
        using (var doc = ParseJson(vocabPath))
            vocab = ReadVocabulary(doc.RootElement, vocabPath);
        var merges = File.ReadLines(mergesPath)
            .Where(line => line.Length > 0 && !line.StartsWith("#version", StringComparison.Ordinal))
            .ToList();
        var added = new List<AddedToken>();
        if (configPath is not null && File.Exists(configPath))
        {
            using var doc = ParseJson(configPath);
            if (doc.RootElement.TryGetProperty("added_tokens_decoder", out var decoder) && decoder.ValueKind == JsonValueKind.Object)
            {
                foreach (var entry in decoder.EnumerateObject())
                {
                    if (!int.TryParse(entry.Name, out int id))
                        throw new InvalidDataException($"'{configPath}': added_tokens_decoder key '{entry.Name}' is not an id.");
                    added.Add(new AddedToken(id, entry.Value.GetProperty("content").GetString()!,
                        entry.Value.TryGetProperty("special", out var s) && s.GetBoolean()));
                }
            }
        }
        return new BpeModelFiles(vocab, merges, added, vocabPath);
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }

    private static Dictionary<string, int> ReadVocabulary(JsonElement vocab, string path)
    {
        if (vocab.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{path}': the vocabulary must be a JSON object of token → id.");
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocab.EnumerateObject())
            result[entry.Name] = entry.Value.GetInt32();
        return result;
    }

    // tokenizers ≥ 0.20 writes merges as ["a", "b"] pairs; older files use "a b" strings.
    private static List<string> ReadMerges(JsonElement merges, string path)
    {
        var result = new List<string>(merges.GetArrayLength());
        foreach (var m in merges.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.String)
                result.Add(m.GetString()!);
            else if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2)
                result.Add(m[0].GetString() + " " + m[1].GetString());
            else
                throw new InvalidDataException($"'{path}': merge #{result.Count} is neither \"a b\" nor [\"a\", \"b\"].");
        }
        return result;
    }
}
