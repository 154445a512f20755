using System.Text;
using System.Text.Json;

namespace StyleAlign.Engine.IO.Config;

/// <summary>
/// Typed reads out of a Hugging Face JSON config (config.json, preprocessor_config.json) where a key may live in
/// several places (flat, nested and v5 forms). Every copy of a key that is present is checked, not only the one
/// that is used, and every missing, ill-typed or out-of-range key is collected so that one exception lists them
/// all with the file, the key, the value found and what is allowed.
/// </summary>
public sealed partial class ConfigJson
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

    /// <summary>A JSON config file, or a folder holding one named <paramref name="fileName"/>.</summary>
    public static ConfigJson Load(string path, string fileName = "config.json")
    {
        string filePath = ResolveConfigPath(path, fileName);
        return Parse(InputFiles.ReadAllBytes(filePath, InputFiles.MaxConfigBytes, fileName), filePath);
    }

    /// <summary>The file itself, or <paramref name="fileName"/> inside a folder; it must exist.</summary>
    public static string ResolveConfigPath(string path, string fileName = "config.json")
    {
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath) && !Directory.Exists(fullPath))
            throw new InputFileException(fullPath, $"no such folder or file (expected the {fileName}, or a folder holding it)");
        if (Directory.Exists(fullPath)) fullPath = Path.Combine(fullPath, fileName);
        if (!File.Exists(fullPath) && !Directory.Exists(fullPath)) throw new InputFileException(fullPath, $"no such file (expected the {fileName})");
        return fullPath;
    }

    public static ConfigJson Parse(string json, string sourcePath) => Parse(Encoding.UTF8.GetBytes(json), sourcePath);

    public static ConfigJson Parse(ReadOnlyMemory<byte> utf8, string sourcePath)
    {
        using JsonDocument document = InputFiles.ParseJson(utf8, sourcePath, (message, inner) => new HfConfigException(message, inner),
            allowTrailingCommas: true);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new HfConfigException($"{sourcePath}: a config must be a JSON object, found {Describe(document.RootElement)}");
        return new ConfigJson(sourcePath, document.RootElement.Clone());
    }

    /// <summary>Whether any of the dotted paths holds a non-null value.</summary>
    public bool Has(params string[] candidatePaths) => FindAll(candidatePaths).Any();

    /// <summary>The JSON kind at a dotted path, null when absent or null.</summary>
    public JsonValueKind? KindOf(string path) => FindAll([path]).Select(found => (JsonValueKind?)found.Value.ValueKind).FirstOrDefault();

    public int Int(int min, int max, params string[] candidatePaths) =>
        Read(candidatePaths, IntExpected(min, max), e => ReadInt(e, min, max), required: true) ?? 0;

    public int IntOr(int fallback, int min, int max, params string[] candidatePaths) =>
        Read(candidatePaths, IntExpected(min, max), e => ReadInt(e, min, max), required: false) ?? fallback;

    /// <summary>A number &gt; 0 and finite (norm epsilons, rope theta).</summary>
    public double PositiveDouble(params string[] candidatePaths) =>
        Read<double>(candidatePaths, "a positive finite number", e => ReadDouble(e) is > 0 and var v && double.IsFinite(v) ? v : null, required: true) ?? 0;

    public double PositiveDoubleOr(double fallback, params string[] candidatePaths) =>
        Read<double>(candidatePaths, "a positive finite number", e => ReadDouble(e) is > 0 and var v && double.IsFinite(v) ? v : null, required: false) ?? fallback;

    public double FiniteDoubleOr(double fallback, params string[] candidatePaths) =>
        Read<double>(candidatePaths, "a finite number", e => ReadDouble(e) is { } v && double.IsFinite(v) ? v : null, required: false) ?? fallback;

    /// <summary>An optional number that must equal <paramref name="only"/> (a feature the engine does not implement otherwise).</summary>
    public void RequireIfPresent(double only, string why, params string[] candidatePaths) =>
        Read<double>(candidatePaths, $"{only} ({why})", e => ReadDouble(e) == only ? only : null, required: false);

    public bool Bool(params string[] candidatePaths) => Read(candidatePaths, "true or false", ReadBool, required: true) ?? false;

    public bool BoolOr(bool fallback, params string[] candidatePaths) => Read(candidatePaths, "true or false", ReadBool, required: false) ?? fallback;

    /// <summary>An optional boolean that must be <paramref name="only"/> when present.</summary>
    public void RequireBoolIfPresent(bool only, string why, params string[] candidatePaths) =>
        Read<bool>(candidatePaths, $"{(only ? "true" : "false")} ({why})", e => ReadBool(e) == only ? only : null, required: false);

    public string String(params string[] candidatePaths) =>
        ReadString(candidatePaths, "a non-empty string", s => s.Length > 0, required: true) ?? "";

    /// <summary>One of <paramref name="allowed"/>; required unless <paramref name="fallback"/> is given.</summary>
    public string OneOf(IReadOnlyCollection<string> allowed, string? fallback, params string[] candidatePaths) =>
        ReadString(candidatePaths, $"one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}", allowed.Contains, required: fallback is null)
        ?? fallback ?? "";

    /// <summary>A <c>hidden_act</c> the engine computes.</summary>
    public string Activation(params string[] candidatePaths) =>
        ReadString(candidatePaths, $"an activation this engine computes ({HfActivation.Describe()})", HfActivation.IsSupported, required: true) ?? "";

    /// <summary>An array of integers, each in [min, max].</summary>
    public int[] IntArray(int min, int max, params string[] candidatePaths)
    {
        int[]? first = null;
        bool found = false;
        foreach (var (path, element) in FindAll(candidatePaths))
        {
            found = true;
            int[]? values = element.ValueKind == JsonValueKind.Array && element.GetArrayLength() <= MaxArrayLength ? ReadInts(element, min, max) : null;
            if (values is null) Invalid(path, $"an array of integers in [{min}, {max}]", element);
            first ??= values;
        }
        if (!found) Missing(candidatePaths);
        return first ?? [];
    }

    /// <summary>A non-empty array of non-empty strings.</summary>
    public string[] StringArray(params string[] candidatePaths)
    {
        string[]? first = null;
        bool found = false;
        foreach (var (path, element) in FindAll(candidatePaths))
        {
            found = true;
            string[]? values = element.ValueKind == JsonValueKind.Array && element.GetArrayLength() is > 0 and <= MaxArrayLength
                ? element.EnumerateArray().Select(TryGetString).ToArray() is var read && read.All(v => v is { Length: > 0 }) ? read.Select(v => v!).ToArray() : null
                : null;
            if (values is null) Invalid(path, "a non-empty array of non-empty strings", element);
            first ??= values;
        }
        if (!found) Missing(candidatePaths);
        return first ?? [];
    }

    /// <summary>A number (used for all three channels) or a list of three finite numbers; null when absent.</summary>
    public float[]? FloatTriple(params string[] candidatePaths)
    {
        float[]? first = null;
        foreach (var (path, element) in FindAll(candidatePaths))
        {
            float[]? values = element.ValueKind switch
            {
                JsonValueKind.Number when ReadDouble(element) is { } v && double.IsFinite(v) => [(float)v, (float)v, (float)v],
                JsonValueKind.Array when element.GetArrayLength() == 3
                    && element.EnumerateArray().Select(ReadDouble).ToArray() is var read && read.All(x => x is { } d && double.IsFinite(d))
                    => read.Select(x => (float)x!.Value).ToArray(),
                _ => null,
            };
            if (values is null) Invalid(path, "a number or a list of 3 finite numbers", element);
            first ??= values;
        }
        return first;
    }

    /// <summary>Records a problem between values (sizes that do not divide, ids outside the vocabulary).</summary>
    public void Check(bool condition, string problem)
    {
        if (!condition) _invalid.Add(problem);
    }

    /// <summary>
    /// Records a problem unless <paramref name="value"/> is a multiple of <paramref name="divisor"/>; values already
    /// found invalid (not positive) are skipped. True when the two divide.
    /// </summary>
    public bool CheckMultiple(string key, int value, string divisorKey, int divisor)
    {
        if (value <= 0 || divisor <= 0) return false;
        Check(value % divisor == 0, $"'{key}' = {value} must be a multiple of '{divisorKey}' = {divisor}");
        return value % divisor == 0;
    }

    public bool HasProblems => _missing.Count > 0 || _invalid.Count > 0;

    /// <summary>One exception listing every problem, one per line under a line naming the file.</summary>
    public void ThrowIfProblems(string configKind)
    {
        if (!HasProblems) return;
        var lines = new List<string>();
        if (_missing.Count > 0) lines.Add($"missing required keys: {string.Join(", ", _missing)}");
        lines.AddRange(_invalid);
        string count = lines.Count == 1 ? "1 problem" : $"{lines.Count} problems";
        throw new HfConfigException($"{SourcePath}: invalid {configKind} config ({count}):{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", lines)}");
    }
}
