using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;

namespace StyleAlign.Engine.Models;

/// <summary>
/// The named input tensors of one forward pass, read from a safetensors file. It records which names were read,
/// so the caller can report the ones no model used. A missing or mis-shaped input is an error naming the file.
/// </summary>
public sealed class ForwardInputs(SafetensorsFile file)
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public string Path => file.Path;

    /// <summary>Inputs present in the file that no runner read, in name order.</summary>
    public IReadOnlyList<string> Unused => file.Entries.Keys.Except(_used).Order(StringComparer.Ordinal).ToList();

    public bool Has(string name) => file.Entries.ContainsKey(name);

    public long[] Long(string name) => Use(name, () => file.ReadAsInt64(name));

    /// <summary>An F32 tensor of the stored shape; a NaN or infinite value (a damaged file) is refused naming its index.</summary>
    public Tensor Float(string name) => Use(name, () => Tensor.FromFloats(Finite(name, file.ReadAsFloat32(name)), Shape(name)));

    private float[] Finite(string name, float[] values)
    {
        int bad = Array.FindIndex(values, v => !float.IsFinite(v));
        if (bad < 0) return values;
        var shape = EntryShape(name);
        var index = new long[shape.Length];
        for (int d = shape.Length - 1, rest = bad; d >= 0; d--)
        {
            index[d] = rest % shape[d];
            rest = (int)(rest / shape[d]);
        }
        throw new InvalidInputException($"{Path}: input '{name}' [{string.Join(", ", index)}] = {values[bad]}; expected finite values");
    }

    public Shape Shape(string name) => new(EntryShape(name).Select(d => checked((int)d)).ToArray());

    /// <summary>The stored shape, as the file's header states it.</summary>
    public long[] EntryShape(string name) => file.GetEntry(name).Shape;

    public SafetensorsDType EntryDType(string name) => file.GetEntry(name).DType;

    /// <summary>An integer input as a tensor of its stored shape.</summary>
    public Tensor LongTensor(string name) => Tensor.FromArray(Long(name), Shape(name).ToArray());

    /// <summary>A rank-2 integer input as a [B, T] matrix; null when absent and not required.</summary>
    public long[,]? Matrix(string name, bool required)
    {
        if (!Has(name))
        {
            if (required) throw Missing(name);
            return null;
        }
        var shape = Shape(name);
        if (shape.Rank != 2) throw new InvalidInputException($"{Path}: input '{name}' has shape {shape}, expected [B, T]");
        var values = Long(name);
        var m = new long[shape[0], shape[1]];
        for (var i = 0; i < shape[0]; i++)
            for (var j = 0; j < shape[1]; j++) m[i, j] = values[i * shape[1] + j];
        return m;
    }

    private T Use<T>(string name, Func<T> read)
    {
        if (!Has(name)) throw Missing(name);
        _used.Add(name);
        return read();
    }

    private InvalidInputException Missing(string name) => new($"{Path}: required input '{name}' is missing");
}
