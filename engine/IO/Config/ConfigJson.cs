using System.Text.Json;

namespace StyleAlign.Engine.IO.Config;

/// <summary>
/// Reads values out of a config.json where a key may live in several places (flat or nested forms), collecting
/// every missing or ill-typed key so that one exception can list them all.
/// </summary>
internal sealed class ConfigJson
{
    private readonly List<string> _missing = [];
    private readonly List<string> _invalid = [];

    public string SourcePath { get; }

    public JsonElement Root { get; }

    private ConfigJson(string sourcePath, JsonElement root)
    {
        SourcePath = sourcePath;
        Root = root;
    }

    /// <summary>A config.json file, or a folder holding one.</summary>
    public static ConfigJson Load(string path)
    {
        string filePath = ResolveConfigPath(path);
        return Parse(File.ReadAllText(filePath), filePath);
    }

    public static string ResolveConfigPath(string path)
    {
        string fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath)) fullPath = Path.Combine(fullPath, "config.json");
        if (!File.Exists(fullPath)) throw new FileNotFoundException($"{fullPath}: config file not found", fullPath);
        return fullPath;
    }

    public static ConfigJson Parse(string json, string sourcePath)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new HfConfigException($"{sourcePath}: a config must be a JSON object, found {document.RootElement.ValueKind}");
            return new ConfigJson(sourcePath, document.RootElement.Clone());
        }
        catch (JsonException ex)
        {
            throw new HfConfigException($"{sourcePath}: not valid JSON ({ex.Message})", ex);
        }
    }

    /// <summary>The first of the dotted paths that exists with a non-null value.</summary>
    public JsonElement? Find(params string[] candidatePaths) => FindWithPath(candidatePaths)?.Value;

    private (string Path, JsonElement Value)? FindWithPath(string[] candidatePaths)
    {
        foreach (string candidate in candidatePaths)
        {
            JsonElement current = Root;
            bool found = true;
            foreach (string part in candidate.Split('.'))
            {
                if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
                {
                    found = false;
                    break;
                }
            }
            if (found && current.ValueKind != JsonValueKind.Null) return (candidate, current);
        }
        return null;
    }

    public int Int(params string[] candidatePaths) => Optional(candidatePaths, "an integer", ReadInt) ?? Missing<int>(candidatePaths);

    public int IntOr(int fallback, params string[] candidatePaths) => Optional(candidatePaths, "an integer", ReadInt) ?? fallback;

    public double Double(params string[] candidatePaths) => Optional(candidatePaths, "a number", ReadDouble) ?? Missing<double>(candidatePaths);

    public double DoubleOr(double fallback, params string[] candidatePaths) => Optional(candidatePaths, "a number", ReadDouble) ?? fallback;

    public bool Bool(params string[] candidatePaths) => Optional(candidatePaths, "true or false", ReadBool) ?? Missing<bool>(candidatePaths);

    public string String(params string[] candidatePaths)
    {
        var found = FindWithPath(candidatePaths);
        if (found is null) return Missing<string>(candidatePaths) ?? "";
        if (found.Value.Value.ValueKind == JsonValueKind.String) return found.Value.Value.GetString()!;
        Invalid(found.Value.Path, "a string", found.Value.Value);
        return "";
    }

    public int[] IntArray(params string[] candidatePaths)
    {
        var found = FindWithPath(candidatePaths);
        if (found is null) return Missing<int[]>(candidatePaths) ?? [];
        var (path, element) = found.Value;
        if (element.ValueKind != JsonValueKind.Array)
        {
            Invalid(path, "an array of integers", element);
            return [];
        }
        var values = new List<int>();
        foreach (JsonElement item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt32(out int value))
            {
                Invalid(path, "an array of integers", element);
                return [];
            }
            values.Add(value);
        }
        return values.ToArray();
    }

    /// <summary>Records a semantic problem (e.g. sizes that do not divide) to report with the missing keys.</summary>
    public void Check(bool condition, string problem)
    {
        if (!condition) _invalid.Add(problem);
    }

    public void ThrowIfProblems(string configKind)
    {
        if (_missing.Count == 0 && _invalid.Count == 0) return;
        var lines = new List<string>();
        if (_missing.Count > 0) lines.Add($"missing required keys: {string.Join(", ", _missing)}");
        lines.AddRange(_invalid);
        throw new HfConfigException($"{SourcePath}: invalid {configKind} config: {string.Join("; ", lines)}");
    }

    private T? Optional<T>(string[] candidatePaths, string expected, Func<JsonElement, T?> read) where T : struct
    {
        var found = FindWithPath(candidatePaths);
        if (found is null) return null;
        T? value = read(found.Value.Value);
        if (value is null)
        {
            Invalid(found.Value.Path, expected, found.Value.Value);
            return default(T);
        }
        return value;
    }

    private static int? ReadInt(JsonElement element) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out int value) ? value : null;

    private static double? ReadDouble(JsonElement element) =>
        element.ValueKind == JsonValueKind.Number ? element.GetDouble() : null;

    private static bool? ReadBool(JsonElement element) =>
        element.ValueKind is JsonValueKind.True or JsonValueKind.False ? element.GetBoolean() : null;

    private T? Missing<T>(string[] candidatePaths)
    {
        _missing.Add(string.Join(" | ", candidatePaths));
        return default;
    }

    private void Invalid(string path, string expected, JsonElement found) =>
        _invalid.Add($"'{path}' must be {expected}, found {found.GetRawText()}");
}
