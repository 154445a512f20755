using NUnit.Framework;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace StyleAlign.Tests.Vision;

/// <summary>Minimal safetensors reader for reference fixtures: raw little-endian bytes per tensor.</summary>
internal sealed class FixtureReader
{
    private readonly Dictionary<string, (string DType, long[] Shape, byte[] Data)> _tensors = new();

    public FixtureReader(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(file);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(file, 8, (int)headerLength));
        int dataStart = 8 + (int)headerLength;
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
                continue;
            string dtype = entry.Value.GetProperty("dtype").GetString()!;
            long[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            _tensors[entry.Name] = (dtype, shape, file[(dataStart + (int)offsets[0])..(dataStart + (int)offsets[1])]);
        }
    }

    public static FixtureReader Open(params string[] relative) =>
        new(Path.Combine([TestContext.CurrentContext.TestDirectory, "fixtures", .. relative]));

    public long[] Shape(string name) => Get(name, null).Shape;

    public byte[] U8(string name) => Get(name, "U8").Data;

    public float[] F32(string name) => Cast<float>(Get(name, "F32").Data);

    public long[] I64(string name) => Cast<long>(Get(name, "I64").Data);

    private static T[] Cast<T>(byte[] data) where T : struct =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(data).ToArray();

    private (string DType, long[] Shape, byte[] Data) Get(string name, string? dtype)
    {
        if (!_tensors.TryGetValue(name, out var t))
            throw new KeyNotFoundException($"Fixture has no tensor '{name}' (has: {string.Join(", ", _tensors.Keys)}).");
        if (dtype is not null && t.DType != dtype)
            throw new InvalidDataException($"Fixture tensor '{name}' is {t.DType}, expected {dtype}.");
        return t;
    }
}
