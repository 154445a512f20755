using System.Buffers.Binary;
using System.Text.Json;

namespace StyleAlign.Tests.LogProbs;

/// <summary>Reads the F32 tensors of a small .safetensors file into float64 arrays (enough for the loss fixture).</summary>
internal static class MiniSafetensors
{
    public static Dictionary<string, (int[] Shape, double[] Values)> ReadF32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8) throw new InvalidDataException($"{path}: shorter than the 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8)) throw new InvalidDataException($"{path}: header length {headerLength} exceeds the file");
        var dataStart = 8 + (int)headerLength;
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        var result = new Dictionary<string, (int[], double[])>();
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__") continue;
            var dtype = entry.Value.GetProperty("dtype").GetString();
            if (dtype != "F32") throw new InvalidDataException($"{path}: tensor '{entry.Name}' is {dtype}, this reader handles F32 only");
            var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var count = shape.Aggregate(1L, (a, b) => a * b);
            if (offsets[1] - offsets[0] != count * 4 || dataStart + offsets[1] > bytes.Length)
                throw new InvalidDataException($"{path}: tensor '{entry.Name}' has data offsets [{offsets[0]}, {offsets[1]}) that do not fit shape [{string.Join(", ", shape)}]");
            var values = new double[count];
            for (var i = 0; i < count; i++)
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(dataStart + (int)offsets[0] + i * 4, 4));
            result[entry.Name] = (shape, values);
        }
        return result;
    }
}
