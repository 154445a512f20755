using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.IO;

/// <summary>Named tensors to and from one safetensors file: F64 and integer tensors kept exactly (integers as I64), other floats as F32.</summary>
public static class TensorFiles
{
    public static void Write(string path, IEnumerable<(string Name, Tensor Value)> tensors, IDictionary<string, string>? metadata = null)
    {
        var entries = tensors.Select(t =>
        {
            var shape = Enumerable.Range(0, t.Value.Rank).Select(d => (long)t.Value.Shape[d]).ToArray();
            return t.Value.DType switch
            {
                DType.I64 or DType.I32 or DType.U8 or DType.Bool => SafetensorsWriter.Int64(t.Name, shape, t.Value.ToLongArray()),
                DType.F64 => (t.Name, SafetensorsDType.F64, shape, (ReadOnlyMemory<byte>)ToBytes(t.Value.ToDoubleArray())),
                _ => SafetensorsWriter.Float32(t.Name, shape, t.Value.ToFloatArray()),
            };
        }).ToList();
        SafetensorsWriter.Write(path, entries, metadata);
    }

    /// <summary>Copies every named tensor of the file into the matching live tensor (shapes must agree; all names required).</summary>
    public static void ReadInto(string path, IEnumerable<(string Name, Tensor Target)> targets)
    {
        using var file = SafetensorsFile.Open(path);
        foreach (var (name, target) in targets)
        {
            if (!file.Contains(name)) throw new CheckpointMismatchException($"{file.Path}: no tensor '{name}'");
            var entry = file.GetEntry(name);
            if (target.DType.IsFloat() && !entry.DType.IsFloatingPoint())
                throw new CheckpointMismatchException($"{file.Path}: tensor '{name}' is stored as {entry.DType.ToHeaderName()}; a floating-point tensor is expected");
            if (!entry.Shape.SequenceEqual(target.Shape.ToArray().Select(d => (long)d)))
                throw new CheckpointMismatchException($"{file.Path}: tensor '{name}' has shape {entry.ShapeText}, expected {target.Shape}");
            var loaded = Read(file, name, target.DType, target.Device);
            if (loaded.Shape != target.Shape) throw new InvalidDataException($"'{path}': tensor '{name}' has shape {loaded.Shape}, expected {target.Shape}");
            target.CopyFrom(loaded);
            loaded.Dispose();
        }
    }

    /// <summary>Every tensor of a file, untracked.</summary>
    public static Dictionary<string, Tensor> ReadAll(string path)
    {
        using var file = SafetensorsFile.Open(path);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, entry) in file.Entries)
        {
            var dtype = entry.DType switch
            {
                SafetensorsDType.F64 => DType.F64,
                var stored when stored.IsFloatingPoint() => DType.F32,
                _ => DType.I64,
            };
            result[name] = Read(file, name, dtype, Device.Cpu);
        }
        return result;
    }

    private static Tensor Read(SafetensorsFile file, string name, DType dtype, Device device)
    {
        var entry = file.GetEntry(name);
        var shape = new Shape(entry.Shape.Select(d => d <= int.MaxValue ? (int)d
            : throw new CheckpointMismatchException($"{file.Path}: tensor '{name}' has a dimension of {d}, more than a tensor holds")).ToArray());
        return TensorScope.Untracked(() => dtype switch
        {
            DType.I64 => Tensor.FromArray(file.ReadAsInt64(name), shape.ToArray()),
            DType.F64 => Tensor.FromDoubles(file.ReadAsFloat64(name), shape, DType.F64, device),
            _ => Tensor.FromFloats(file.ReadAsFloat32(name), shape, device),
        });
    }

    private static byte[] ToBytes(double[] values)
    {
        var bytes = new byte[values.Length * sizeof(double)];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }
}
