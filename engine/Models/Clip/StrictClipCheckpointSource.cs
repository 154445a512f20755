using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;

namespace StyleAlign.Engine.Models.Clip;

/// <summary>
/// Parameters read from a CLIP checkpoint, collecting every missing, mis-shaped and unexpected tensor so one
/// error lists them all. The int64 position_ids buffers of older conversions are not parameters and are ignored.
/// </summary>
internal sealed class StrictClipCheckpointSource(ISafetensorsSource checkpoint, string description, Device? device) : IParameterSource
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly List<string> _problems = [];

    public Tensor Get(string name, Shape shape, ParameterInit init)
    {
        if (!checkpoint.Entries.TryGetValue(name, out var entry))
        {
            _problems.Add($"missing tensor '{name}' {shape}");
            return Tensor.Zeros(shape, DType.F32, device);
        }
        _used.Add(name);
        var stored = entry.Shape.Select(d => (int)d).ToArray();
        if (!new Shape(stored).Equals(shape))
        {
            _problems.Add($"tensor '{name}' has shape {entry.ShapeText}, expected {shape}");
            return Tensor.Zeros(shape, DType.F32, device);
        }
        var t = Tensor.FromFloats(checkpoint.ReadAsFloat32(name), shape, device);
        t.Name = name;
        return t;
    }

    public void ThrowIfIncomplete()
    {
        foreach (var name in checkpoint.Entries.Keys.Order(StringComparer.Ordinal))
            if (!_used.Contains(name) && !name.EndsWith(".position_ids", StringComparison.Ordinal))
                _problems.Add($"unexpected tensor '{name}'");
        if (_problems.Count > 0)
            throw new InvalidDataException($"{description}: the CLIP checkpoint does not match the config: {string.Join("; ", _problems)}");
    }
}
