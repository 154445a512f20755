using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Engine.Models;

/// <summary>
/// Strict loading from a safetensors checkpoint. Records every requested name; <see cref="Finish"/> then reports
/// missing keys, unexpected keys and shape mismatches together in one error. Float tensors of any stored dtype
/// (BF16, F16, F32, F64) arrive as F32.
/// </summary>
public sealed class CheckpointParameterSource : IParameterSource
{
    private readonly ISafetensorsSource _checkpoint;
    private readonly string _description;
    private readonly Device _device;
    private readonly Dictionary<string, string> _canonicalToStored = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly List<string> _missing = [];
    private readonly List<string> _mismatched = [];

    /// <param name="normalize">maps a stored name to the canonical name the model asks for (e.g. new → legacy Qwen names)</param>
    public CheckpointParameterSource(ISafetensorsSource checkpoint, string description, Func<string, string>? normalize = null, Device? device = null)
    {
        _checkpoint = checkpoint;
        _description = description;
        _device = device ?? Device.Cpu;
        foreach (var stored in checkpoint.Entries.Keys)
        {
            var canonical = normalize?.Invoke(stored) ?? stored;
            if (!_canonicalToStored.TryAdd(canonical, stored))
                throw new InvalidDataException($"{description}: tensors '{_canonicalToStored[canonical]}' and '{stored}' name the same parameter '{canonical}'");
        }
    }

    public Tensor Get(string name, Shape shape, ParameterInit init)
    {
        if (!_canonicalToStored.TryGetValue(name, out var stored))
        {
            _missing.Add($"{name} {shape}");
            return Tensor.Zeros(shape, DType.F32, _device);
        }
        _used.Add(name);
        var entry = _checkpoint.Entries[stored];
        var storedShape = new Shape(entry.Shape.Select(d => checked((int)d)).ToArray());
        if (storedShape != shape)
        {
            _mismatched.Add($"{stored}: checkpoint {storedShape}, model expects {shape}");
            return Tensor.Zeros(shape, DType.F32, _device);
        }
        return Tensor.FromFloats(_checkpoint.ReadAsFloat32(stored), shape, _device);
    }

    /// <summary>What did not match: missing (name and expected shape), unexpected stored names, shape mismatches.</summary>
    public (IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<string> Mismatched) Report(Func<string, bool>? ignorable = null)
    {
        var unexpected = _canonicalToStored
            .Where(kv => !_used.Contains(kv.Key) && !(ignorable?.Invoke(kv.Key) ?? false))
            .Select(kv => kv.Value)
            .Order(StringComparer.Ordinal)
            .ToList();
        return (_missing, unexpected, _mismatched);
    }

    /// <summary>Throws one error listing every problem; names for which <paramref name="ignorable"/> is true may stay unused.</summary>
    public void Finish(Func<string, bool>? ignorable = null)
    {
        var (missing, unexpected, mismatched) = Report(ignorable);
        if (missing.Count == 0 && unexpected.Count == 0 && mismatched.Count == 0) return;
        var lines = new List<string> { $"{_description} does not match the model:" };
        if (missing.Count > 0) lines.Add($"  missing ({missing.Count}): {string.Join(", ", missing.Take(20))}{More(missing.Count)}");
        if (unexpected.Count > 0) lines.Add($"  unexpected ({unexpected.Count}): {string.Join(", ", unexpected.Take(20))}{More(unexpected.Count)}");
        if (mismatched.Count > 0) lines.Add($"  shape mismatch ({mismatched.Count}): {string.Join("; ", mismatched.Take(20))}{More(mismatched.Count)}");
        throw new InvalidDataException(string.Join(Environment.NewLine, lines));
    }

    private static string More(int count) => count > 20 ? $", … ({count - 20} more)" : "";
}
