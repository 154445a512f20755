using System.Text.Json;

namespace StyleAlign.Engine.IO;

/// <summary>Parses and validates a safetensors JSON header against the size of its data buffer.</summary>
internal static class SafetensorsHeaderParser
{
    /// <summary>Headers past this size are treated as corruption rather than read into memory.</summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    public const string MetadataKey = "__metadata__";

    public static (Dictionary<string, SafetensorsEntry> Entries, Dictionary<string, string> Metadata) Parse(
        ReadOnlySpan<byte> headerJson, long dataBufferLength, string filePath)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerJson.ToArray());
        }
        catch (JsonException ex)
        {
            throw Fail(filePath, $"header is not valid JSON ({ex.Message})", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Fail(filePath, $"header must be a JSON object, found {document.RootElement.ValueKind}");

            var entries = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            bool sawMetadata = false;
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                if (property.Name == MetadataKey)
                {
                    if (sawMetadata) throw Fail(filePath, "header has two __metadata__ objects");
                    sawMetadata = true;
                    ReadMetadata(property.Value, metadata, filePath);
                    continue;
                }

                if (entries.ContainsKey(property.Name))
                    throw Fail(filePath, $"tensor '{property.Name}' appears twice in the header");
                entries.Add(property.Name, ReadEntry(property.Name, property.Value, dataBufferLength, filePath));
            }

            CheckNoOverlap(entries.Values, filePath);
            return (entries, metadata);
        }
    }

    private static void ReadMetadata(JsonElement element, Dictionary<string, string> metadata, string filePath)
    {
        if (element.ValueKind == JsonValueKind.Null) return;
        if (element.ValueKind != JsonValueKind.Object)
            throw Fail(filePath, $"__metadata__ must be an object of strings, found {element.ValueKind}");
        foreach (JsonProperty item in element.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Fail(filePath, $"__metadata__ value '{item.Name}' must be a string, found {item.Value.ValueKind}");
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static SafetensorsEntry ReadEntry(string name, JsonElement element, long dataBufferLength, string filePath)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw FailTensor(filePath, name, $"entry must be an object, found {element.ValueKind}");

        if (!element.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw FailTensor(filePath, name, "missing string field 'dtype'");
        string dtypeName = dtypeElement.GetString()!;
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
                throw FailTensor(filePath, name, $"shape dimension {axis} is not an integer ({dim.GetRawText()})");
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
        if (!offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end))
            throw FailTensor(filePath, name, $"data_offsets {offsets.GetRawText()} are not integers");
        if (begin < 0 || end < begin)
            throw FailTensor(filePath, name, $"data_offsets [{begin}, {end}] must satisfy 0 <= begin <= end");
        return (begin, end);
    }

    private static void CheckNoOverlap(IEnumerable<SafetensorsEntry> entries, string filePath)
    {
        SafetensorsEntry? previous = null;
        foreach (SafetensorsEntry entry in entries.Where(e => e.Length > 0).OrderBy(e => e.Offset))
        {
            if (previous is not null && entry.Offset < previous.Offset + previous.Length)
                throw Fail(filePath,
                    $"tensors '{previous.Name}' [{previous.Offset}, {previous.Offset + previous.Length}] and '{entry.Name}' [{entry.Offset}, {entry.Offset + entry.Length}] overlap");
            previous = entry;
        }
    }

    public static SafetensorsFormatException Fail(string filePath, string problem, Exception? inner = null) =>
        inner is null
            ? new SafetensorsFormatException($"{filePath}: {problem}")
            : new SafetensorsFormatException($"{filePath}: {problem}", inner);

    public static SafetensorsFormatException FailTensor(string filePath, string tensor, string problem) =>
        new($"{filePath}: tensor '{tensor}': {problem}");
}
