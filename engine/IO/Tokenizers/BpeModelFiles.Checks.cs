using System.Text.Json;
using StyleAlign.Engine.IO.Config;

namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>The field readers of <see cref="BpeModelFiles"/>: each records problems instead of throwing.</summary>
internal sealed partial record BpeModelFiles
{
    private static Dictionary<string, int> ReadVocabulary(JsonElement vocab, string key, TokenizerProblems problems)
    {
        string Key(string token) => key.Length == 0 ? $"'{token}'" : $"'{key}.{token}'";
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        var byId = new Dictionary<int, string>();
        foreach (var entry in vocab.EnumerateObject())
        {
            if (problems.Full) break;
            if (ConfigJson.TryGetName(entry) is not { } token)
            {
                problems.Add($"a key of {(key.Length == 0 ? "the vocabulary" : $"'{key}'")} is not valid Unicode (a lone surrogate escape)");
                continue;
            }
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id) || id < 0 || id >= ConfigLimits.MaxVocabSize)
            {
                problems.Add($"{Key(token)} must be a token id in [0, {ConfigLimits.MaxVocabSize}), found {ConfigJson.Describe(entry.Value)}");
                continue;
            }
            if (!result.TryAdd(token, id))
                problems.Add($"{Key(token)} appears twice in the vocabulary");
            else if (!byId.TryAdd(id, token))
                problems.Add($"{Key(token)} and '{byId[id]}' share the id {id}");
        }
        return result;
    }

    // tokenizers ≥ 0.20 writes merges as ["a", "b"] pairs; older files use "a b" strings.
    private static List<string> ReadMerges(JsonElement merges, TokenizerProblems problems)
    {
        var result = new List<string>(merges.GetArrayLength());
        var firstRank = new Dictionary<string, int>(StringComparer.Ordinal);
        int rank = 0;
        foreach (var m in merges.EnumerateArray())
        {
            if (problems.Full) break;
            string? merge = m.ValueKind switch
            {
                JsonValueKind.String => ConfigJson.TryGetString(m) is { } text && IsPair(text) ? text : null,
                JsonValueKind.Array when m.GetArrayLength() == 2
                    && ConfigJson.TryGetString(m[0]) is { Length: > 0 } a && ConfigJson.TryGetString(m[1]) is { Length: > 0 } b
                    && !a.Contains(' ') && !b.Contains(' ') => a + " " + b,
                _ => null,
            };
            if (merge is null)
                problems.Add($"'model.merges[{rank}]' must be \"a b\" or [\"a\", \"b\"] (two tokens without spaces), found {ConfigJson.Describe(m)}");
            else if (!firstRank.TryAdd(merge, rank))
                problems.Add($"'model.merges[{rank}]' \"{merge}\" repeats 'model.merges[{firstRank[merge]}]'");
            else
                result.Add(merge);
            rank++;
        }
        return result;
    }

    /// <summary>merges.txt: an optional "#version" line, then one "a b" pair a line.</summary>
    private static List<string> ReadMergesText(string path)
    {
        var problems = new TokenizerProblems(path);
        string text = InputFiles.ReadAllText(path, InputFiles.MaxTokenizerBytes, "merges.txt");
        var result = new List<string>();
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (string rawLine in text.Split('\n'))
        {
            lineNumber++;
            if (problems.Full) break;
            string line = rawLine.TrimEnd('\r');
            if (line.Length == 0 || (lineNumber == 1 && line.StartsWith("#version", StringComparison.Ordinal))) continue;
            if (!IsPair(line) || HasLoneSurrogate(line))
                problems.Add($"line {lineNumber} must be two tokens separated by one space, found \"{Shorten(line)}\"");
            else if (!firstLine.TryAdd(line, lineNumber))
                problems.Add($"line {lineNumber} repeats the merge \"{line}\" of line {firstLine[line]}");
            else
                result.Add(line);
        }
        problems.ThrowIfAny();
        return result;
    }

    /// <summary>An added token object: integer "id" (unless the key gave it), non-empty string "content", optional boolean "special".</summary>
    private static AddedToken? ReadAddedToken(JsonElement element, string key, int? id, TokenizerProblems problems)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"'{key}' must be an object, found {ConfigJson.Describe(element)}");
            return null;
        }
        bool ok = true;
        if (id is null)
        {
            if (element.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.Number
                && idElement.TryGetInt32(out int value) && value >= 0 && value < ConfigLimits.MaxVocabSize)
                id = value;
            else
            {
                problems.Add($"'{key}.id' must be a token id in [0, {ConfigLimits.MaxVocabSize}), found {Found(element, "id")}");
                ok = false;
            }
        }
        string? content = element.TryGetProperty("content", out var c) ? ConfigJson.TryGetString(c) : null;
        if (string.IsNullOrEmpty(content))
        {
            problems.Add($"'{key}.content' must be a non-empty string, found {Found(element, "content")}");
            ok = false;
        }
        bool special = false;
        if (element.TryGetProperty("special", out var s) && s.ValueKind != JsonValueKind.Null)
        {
            if (s.ValueKind is JsonValueKind.True or JsonValueKind.False) special = s.GetBoolean();
            else
            {
                problems.Add($"'{key}.special' must be true or false, found {ConfigJson.Describe(s)}");
                ok = false;
            }
        }
        return ok ? new AddedToken(id!.Value, content!, special) : null;
    }

    /// <summary>Added tokens have distinct ids and contents; one that reuses a vocabulary id must be that token.</summary>
    private static void CheckAddedTokens(List<AddedToken> added, Dictionary<string, int> vocabulary, TokenizerProblems problems)
    {
        var byId = new Dictionary<int, string>();
        var byContent = new Dictionary<string, int>(StringComparer.Ordinal);
        Dictionary<int, string>? vocabularyById = null;
        foreach (var token in added)
        {
            if (!byId.TryAdd(token.Id, token.Content))
                problems.Add($"added tokens '{byId[token.Id]}' and '{token.Content}' share the id {token.Id}");
            else if (!byContent.TryAdd(token.Content, token.Id))
                problems.Add($"added token '{token.Content}' appears twice, with ids {byContent[token.Content]} and {token.Id}");
            else
            {
                vocabularyById ??= vocabulary.GroupBy(kv => kv.Value).ToDictionary(g => g.Key, g => g.First().Key);
                if (vocabularyById.TryGetValue(token.Id, out string? existing) && existing != token.Content)
                    problems.Add($"added token '{token.Content}' takes the id {token.Id} of the vocabulary's '{existing}'");
                else if (vocabulary.TryGetValue(token.Content, out int vocabularyId) && vocabularyId != token.Id)
                    problems.Add($"added token '{token.Content}' has the id {token.Id} but the vocabulary gives it {vocabularyId}");
            }
        }
    }

    private static bool IsPair(string text)
    {
        int space = text.IndexOf(' ');
        return space > 0 && space < text.Length - 1 && text.IndexOf(' ', space + 1) < 0;
    }

    private static bool HasLoneSurrogate(string text) => TextSanitizer.HasLoneSurrogate(text);

    private static string Found(JsonElement owner, string field) =>
        owner.TryGetProperty(field, out var value) ? ConfigJson.Describe(value) : "nothing";

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
