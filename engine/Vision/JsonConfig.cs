using System.Text.Json;

namespace StyleAlign.Engine.Vision;

/// <summary>Typed, optional reads from a processor config, with errors that name the file and key.</summary>
internal static class JsonConfig
{
    public static int? Int(JsonElement root, string key, string path) =>
        Get<int>(root, key, path, e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) ? v : null, "an integer");

    public static double? Double(JsonElement root, string key, string path) =>
        Get(root, key, path, e => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : (double?)null, "a number");

    public static bool? Bool(JsonElement root, string key, string path) =>
        Get<bool>(root, key, path, e => e.ValueKind is JsonValueKind.True or JsonValueKind.False ? e.GetBoolean() : null, "true or false");

    public static float[]? FloatTriple(JsonElement root, string key, string path)
    {
        if (!root.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null)
            return null;
        if (e.ValueKind == JsonValueKind.Number)
        {
            float v = (float)e.GetDouble();
            return [v, v, v];
        }
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != 3)
            throw new InvalidDataException($"'{path}': key '{key}' must be a number or a list of 3 numbers.");
        return e.EnumerateArray().Select(x => (float)x.GetDouble()).ToArray();
    }

    private static T? Get<T>(JsonElement root, string key, string path, Func<JsonElement, T?> read, string expected)
        where T : struct
    {
        if (!root.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null)
            return null;
        return read(e) ?? throw new InvalidDataException($"'{path}': key '{key}' must be {expected}, got {e.GetRawText()}.");
    }
}
