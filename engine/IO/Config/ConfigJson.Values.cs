using System.Text.Json;

namespace StyleAlign.Engine.IO.Config;

/// <summary>Finding keys and reading JSON values without ever letting a generic reader exception escape.</summary>
public sealed partial class ConfigJson
{
    /// <summary>Values longer than this are cut in messages.</summary>
    private const int MaxShownValue = 60;

    /// <summary>Every dotted path of the list that exists with a non-null value, in order.</summary>
    private IEnumerable<(string Path, JsonElement Value)> FindAll(string[] candidatePaths)
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
            if (found && current.ValueKind != JsonValueKind.Null) yield return (candidate, current);
        }
    }

    /// <summary>Checks every present copy; the first valid one is the value. Absent keys count as missing when required.</summary>
    private T? Read<T>(string[] candidatePaths, string expected, Func<JsonElement, T?> read, bool required) where T : struct
    {
        T? first = null;
        bool found = false;
        foreach (var (path, element) in FindAll(candidatePaths))
        {
            found = true;
            T? value = read(element);
            if (value is null) Invalid(path, expected, element);
            else first ??= value;
        }
        if (!found && required) Missing(candidatePaths);
        return first;
    }

    private string? ReadString(string[] candidatePaths, string expected, Func<string, bool> allowed, bool required)
    {
        string? first = null;
        bool found = false;
        foreach (var (path, element) in FindAll(candidatePaths))
        {
            found = true;
            string? value = TryGetString(element);
            if (value is null || !allowed(value)) Invalid(path, expected, element);
            else first ??= value;
        }
        if (!found && required) Missing(candidatePaths);
        return first;
    }

    /// <summary>The string value, or null for another kind or for text that is not valid Unicode (a lone surrogate escape).</summary>
    public static string? TryGetString(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.String) return null;
        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A property name, or null when its escapes do not form valid Unicode.</summary>
    public static string? TryGetName(JsonProperty property)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Longer integer arrays (block indexes, rope sections) are corruption, not configs.</summary>
    private const int MaxArrayLength = 4096;

    /// <summary>Every item as an integer in [min, max], or null if any is not.</summary>
    private static int[]? ReadInts(JsonElement array, int min, int max)
    {
        var values = new int[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            if (ReadInt(item, min, max) is not { } value) return null;
            values[i++] = value;
        }
        return values;
    }

    private static string IntExpected(int min, int max) => $"an integer in [{min}, {max}]";

    private static int? ReadInt(JsonElement element, int min, int max) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out int value) && value >= min && value <= max ? value : null;

    private static double? ReadDouble(JsonElement element) =>
        element.ValueKind == JsonValueKind.Number && element.TryGetDouble(out double value) ? value : null;

    private static bool? ReadBool(JsonElement element) =>
        element.ValueKind is JsonValueKind.True or JsonValueKind.False ? element.GetBoolean() : null;

    private void Missing(string[] candidatePaths) => _missing.Add(string.Join(" | ", candidatePaths));

    private void Invalid(string path, string expected, JsonElement found) =>
        _invalid.Add($"'{path}' must be {expected}, found {Describe(found)}");

    /// <summary>A value as JSON text, cut when long (a message must stay one readable line).</summary>
    public static string Describe(JsonElement element)
    {
        // A large object or array is summarized without copying its text.
        if (element.ValueKind == JsonValueKind.Array && element.GetArrayLength() > 8) return $"an array of {element.GetArrayLength()} values";
        if (element.ValueKind == JsonValueKind.Object && element.EnumerateObject().Take(9).Count() > 8) return "an object of many keys";
        string raw = element.GetRawText();
        return raw.Length <= MaxShownValue ? raw : raw[..MaxShownValue] + "…";
    }
}
