using System.Text.Json;

namespace StyleAlign.Engine.IO;

/// <summary>
/// Parses and validates a safetensors JSON header against the size of its data buffer, with the rules of the
/// format's reference implementation: a UTF-8 JSON object (which must open with '{'), known dtypes, each tensor's
/// byte length equal to its element count times its dtype size, and the tensors' offsets, taken in order, tiling
/// the data buffer exactly — no gap, no overlap, nothing after the last tensor. So a header length that is off
/// even by one padding byte is refused instead of shifting every tensor.
/// </summary>
internal static class SafetensorsHeaderParser
{
    /// <summary>The reference implementation's limit; larger headers are corruption, not models.</summary>
    public const long MaxHeaderBytes = 100_000_000;

    public const string MetadataKey = "__metadata__";

    public static (Dictionary<string, SafetensorsEntry> Entries, Dictionary<string, string> Metadata) Parse(
        ReadOnlySpan<byte> headerJson, long dataBufferLength, string filePath)
    {
        if (headerJson.Length == 0 || headerJson[0] != (byte)'{')
            throw Fail(filePath, headerJson.Length == 0
                ? "the header is empty (expected a JSON object)"
                : $"the header must start with '{{', found byte 0x{headerJson[0]:X2} (corrupt, or not a safetensors file)");
        if (!System.Text.Unicode.Utf8.IsValid(headerJson))
            throw Fail(filePath, "the header is not valid UTF-8");
        byte[] headerCopy = headerJson.ToArray();
        JsonDocument document = InputFiles.ParseJson(headerCopy, $"{filePath}: header", (message, inner) => new SafetensorsFormatException(message, inner));

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Fail(filePath, $"header must be a JSON object, found {Config.ConfigJson.Describe(document.RootElement)}");

            var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                string name = Config.ConfigJson.TryGetName(property)
                    ?? throw Fail(filePath, "a tensor name in the header is not valid Unicode (a lone surrogate escape)");
                if (name == MetadataKey)
                {
                    if (sawMetadata) throw Fail(filePath, "header has two __metadata__ objects");
                    sawMetadata = true;
                    ReadMetadata(property.Value, metadata, filePath);
                    continue;
                }

                if (entries.ContainsKey(name))
                    throw Fail(filePath, $"tensor '{name}' appears twice in the header");
                entries.Add(name, ReadEntry(name, property.Value, dataBufferLength, filePath));
            }

            CheckTiling(entries.Values, dataBufferLength, filePath);
            return (entries, metadata);
        }
    }

    private static void ReadMetadata(JsonElement element, Dictionary<string, string> metadata, string filePath)
    {
        if (element.ValueKind == JsonValueKind.Null) return;
        if (element.ValueKind != JsonValueKind.Object)
            throw Fail(filePath, $"__metadata__ must be an object of strings, found {Config.ConfigJson.Describe(element)}");
        foreach (JsonProperty item in element.EnumerateObject())
        {
            string key = Config.ConfigJson.TryGetName(item) ?? throw Fail(filePath, "a __metadata__ key is not valid Unicode");
            string value = Config.ConfigJson.TryGetString(item.Value)
                ?? throw Fail(filePath, $"__metadata__ value '{key}' must be a string, found {Config.ConfigJson.Describe(item.Value)}");
            if (!metadata.TryAdd(key, value)) throw Fail(filePath, $"__metadata__ key '{key}' appears twice");
        }
    }

    private static SafetensorsEntry ReadEntry(string name, JsonElement element, long dataBufferLength, string filePath)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw FailTensor(filePath, name, $"entry must be an object, found {Config.ConfigJson.Describe(element)}");

        if (!element.TryGetProperty("dtype", out JsonElement dtypeElement) || Config.ConfigJson.TryGetString(dtypeElement) is not { } dtypeName)
            throw FailTensor(filePath, name, "missing string field 'dtype'");
        if (!SafetensorsDTypeExtensions.TryParseHeaderName(dtypeName, out SafetensorsDType dtype))
            throw FailTensor(filePath, name, $"unknown dtype '{dtypeName}' (expected one of BOOL, U8, I8, I16, U16, I32, U32, I64, U64, F16, BF16, F32, F64)");

        long[] shape = ReadShape(name, element, filePath);
        (long begin, long end) = ReadOffsets(name, element, filePath);
        if (end > dataBufferLength)
            throw FailTensor(filePath, name, $"data_offsets [{begin}, {end}] reach past the data buffer of {dataBufferLength} bytes");

        long expectedBytes;
        try
        {
            long count = 1;
            foreach (long dim in shape) count = checked(count * dim);
            expectedBytes = checked(count * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw FailTensor(filePath, name, $"shape [{string.Join(", ", shape)}] is too large to address");
        }

        if (expectedBytes != end - begin)
            throw FailTensor(filePath, name,
                $"dtype {dtypeName} with shape [{string.Join(", ", shape)}] needs {expectedBytes} bytes but data_offsets [{begin}, {end}] span {end - begin}");

        return new SafetensorsEntry(name, dtype, shape, begin, end - begin);
    }

    private static long[] ReadShape(string name, JsonElement element, string filePath)
    {
        if (!element.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw FailTensor(filePath, name, "missing array field 'shape'");
        var shape = new long[shapeElement.GetArrayLength()];
        int axis = 0;
        foreach (JsonElement dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long value))
                throw FailTensor(filePath, name, $"shape dimension {axis} is not an integer ({Config.ConfigJson.Describe(dim)})");
            if (value < 0)
                throw FailTensor(filePath, name, $"shape dimension {axis} is negative ({value})");
            shape[axis++] = value;
        }
        return shape;
    }

    private static (long Begin, long End) ReadOffsets(string name, JsonElement element, string filePath)
    {
        if (!element.TryGetProperty("data_offsets", out JsonElement offsets) || offsets.ValueKind != JsonValueKind.Array
            || offsets.GetArrayLength() != 2)
            throw FailTensor(filePath, name, "missing field 'data_offsets' of two integers");
        if (offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end))
            throw FailTensor(filePath, name, $"data_offsets {Config.ConfigJson.Describe(offsets)} are not integers");
        if (begin < 0 || end < begin)
            throw FailTensor(filePath, name, $"data_offsets [{begin}, {end}] must satisfy 0 <= begin <= end");
        return (begin, end);
    }

    /// <summary>In offset order, each tensor starts where the previous one ended and the last ends at the end of the file.</summary>
    private static void CheckTiling(IEnumerable<SafetensorsEntry> entries, long dataBufferLength, string filePath)
    {
        long end = 0;
        SafetensorsEntry? previous = null;
        foreach (SafetensorsEntry entry in entries.OrderBy(e => e.Offset).ThenBy(e => e.Offset + e.Length))
        {
            if (entry.Offset != end)
                throw Fail(filePath, previous is null
                    ? $"tensor '{entry.Name}' starts at data offset {entry.Offset}; the first tensor must start at 0"
                    : entry.Offset < end
                        ? $"tensors '{previous.Name}' [{previous.Offset}, {end}] and '{entry.Name}' [{entry.Offset}, {entry.Offset + entry.Length}] overlap"
                        : $"{entry.Offset - end} bytes between tensors '{previous.Name}' (ends at {end}) and '{entry.Name}' (starts at {entry.Offset}) belong to no tensor");
            end = entry.Offset + entry.Length;
            previous = entry;
        }
        if (end != dataBufferLength)
            throw Fail(filePath, previous is null
                ? $"the header names no tensor but {dataBufferLength} data bytes follow it (is the header length right?)"
                : $"the tensors cover {end} data bytes but {dataBufferLength} follow the header (is the header length right?)");
    }

    public static SafetensorsFormatException Fail(string filePath, string problem, Exception? inner = null) =>
        inner is null
            ? new SafetensorsFormatException($"{filePath}: {problem}")
            : new SafetensorsFormatException($"{filePath}: {problem}", inner);

    public static SafetensorsFormatException FailTensor(string filePath, string tensor, string problem) =>
        new($"{filePath}: tensor '{tensor}': {problem}");
}
