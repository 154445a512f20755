using System.Text.Json;
using System.Text.Json.Nodes;

namespace StyleAlign.Tests.Fuzz;

/// <summary>Small mutation primitives shared by the targets.</summary>
internal static class Mutate
{
    public static T Pick<T>(this Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];

    /// <summary>Flips one random bit in each of <paramref name="count"/> random bytes of [start, end).</summary>
    public static byte[] FlipBytes(byte[] data, Random rng, int count, int start = 0, int? end = null)
    {
        var copy = (byte[])data.Clone();
        int stop = end ?? data.Length;
        if (stop <= start) return copy;
        for (int i = 0; i < count; i++) copy[rng.Next(start, stop)] ^= (byte)(1 << rng.Next(8));
        return copy;
    }

    /// <summary>Overwrites a random run of bytes with random values.</summary>
    public static byte[] Scramble(byte[] data, Random rng)
    {
        var copy = (byte[])data.Clone();
        if (copy.Length == 0) return copy;
        int start = rng.Next(copy.Length), length = Math.Min(copy.Length - start, rng.Next(1, 32));
        rng.NextBytes(copy.AsSpan(start, length));
        return copy;
    }

    public static byte[] Insert(byte[] data, int at, ReadOnlySpan<byte> inserted) => [.. data.AsSpan(0, at), .. inserted, .. data.AsSpan(at)];

    public static JsonNode Clone(this JsonNode node) => node.DeepClone();

    public static JsonObject ParseObject(string json) => JsonNode.Parse(json)!.AsObject();

    public static string Write(JsonNode node, bool indented = true)
    {
        string text = node.ToJsonString(new JsonSerializerOptions { WriteIndented = indented, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        foreach (var (placeholder, raw) in RawTexts) text = text.Replace($"\"{placeholder}\"", raw, StringComparison.Ordinal);
        return text;
    }

    /// <summary>JSON texts the node model cannot hold (a lone surrogate escape), written verbatim in place of a placeholder string.</summary>
    [ThreadStatic] private static Dictionary<string, string>? _rawTexts;

    private static Dictionary<string, string> RawTexts => _rawTexts ??= [];

    /// <summary>The node at a dotted path, or null.</summary>
    public static JsonNode? At(JsonObject root, string path)
    {
        JsonNode? current = root;
        foreach (string part in path.Split('.'))
        {
            if (current is not JsonObject obj || !obj.TryGetPropertyValue(part, out current)) return null;
        }
        return current;
    }

    /// <summary>Whether the dotted path exists (null values count).</summary>
    public static bool Has(JsonObject root, string path)
    {
        var parts = path.Split('.');
        JsonNode? current = root;
        foreach (string part in parts)
        {
            if (current is not JsonObject obj || !obj.ContainsKey(part)) return false;
            current = obj[part];
        }
        return true;
    }

    /// <summary>Sets (creating objects on the way) the dotted path.</summary>
    public static void Set(JsonObject root, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        JsonObject current = root;
        foreach (string part in parts[..^1])
        {
            if (current[part] is not JsonObject next)
            {
                next = new JsonObject();
                current[part] = next;
            }
            current = next;
        }
        current[parts[^1]] = value;
    }

    public static void Remove(JsonObject root, string path)
    {
        var parts = path.Split('.');
        if ((parts.Length == 1 ? root : At(root, string.Join('.', parts[..^1]))) is JsonObject parent) parent.Remove(parts[^1]);
    }

    /// <summary>A JSON value from its text ("0", "\"x\"", "[1,2]", "1e400"): kept verbatim, even when .NET could not represent it.</summary>
    public static JsonNode? Raw(string json)
    {
        if (json == "null") return null;
        if (!json.Contains("\\ud8", StringComparison.OrdinalIgnoreCase) && !json.Contains("\\udc", StringComparison.OrdinalIgnoreCase)) return JsonNode.Parse(json);
        string placeholder = $"@raw{RawTexts.Count}@";
        RawTexts[placeholder] = json;
        return JsonValue.Create(placeholder);
    }

    /// <summary>Every property order shuffled, recursively.</summary>
    public static JsonNode Shuffle(JsonNode node, Random rng)
    {
        switch (node)
        {
            case JsonObject obj:
                var shuffled = new JsonObject();
                foreach (var (key, value) in obj.ToList().OrderBy(_ => rng.Next()))
                    shuffled[key] = value is null ? null : Shuffle(value.DeepClone(), rng);
                return shuffled;
            case JsonArray array:
                return new JsonArray(array.Select(item => item is null ? null : Shuffle(item.DeepClone(), rng)).ToArray());
            default:
                return node.DeepClone();
        }
    }
}
