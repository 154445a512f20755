using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Engine.Models;

/// <summary>
/// Strict loading from a safetensors checkpoint. Records every requested name; <see cref="Finish"/> then reports
/// missing keys, unexpected keys, shape mismatches and non-float tensors together in one error. Float tensors of
/// any stored dtype (BF16, F16, F32, F64) arrive as F32, or on the CPU as <see cref="WeightOptions"/> decides (frozen
/// ones mapped from the file, bf16 matrices kept bf16); an integer tensor where a weight is expected is refused,
/// never converted. A header-only source reads no tensor at all: it checks names, shapes and dtypes against the
/// header and hands out shape-only placeholders, so a model can be checked before anything is allocated; it also
/// adds up the bytes the real load would allocate (<see cref="MaterializedBytes"/>).
/// </summary>
public sealed class CheckpointParameterSource : IParameterSource
{
    private readonly ISafetensorsSource _checkpoint;
    private readonly string _description;
    private readonly Device _device;
    private readonly DType _dtype;
    private readonly bool _headerOnly;
    private readonly WeightOptions _weights;
    private readonly bool _bf16Matrices;
    private readonly Dictionary<string, string> _canonicalToStored = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);
    private readonly List<string> _missing = [];
    private readonly List<string> _mismatched = [];
    private Tensor? _placeholder;

    /// <param name="normalize">maps a stored name to the canonical name the model asks for (e.g. new → legacy Qwen names)</param>
    /// <param name="headerOnly">check against the header and return placeholders instead of reading tensors</param>
    /// <param name="weights">which weights are trained (f32 copies) and whether frozen matrices are rounded to bf16;
    /// null reads every tensor into f32 memory</param>
    /// <param name="bf16Matrices">whether the model takes frozen weights of two or more dims as bf16 (it uses each of
    /// them only in a matmul or an embedding lookup)</param>
    /// <param name="dtype">off the CPU, the float dtype frozen weights are stored in once read (F32 or BF16); trained
    /// weights stay F32</param>
    public CheckpointParameterSource(ISafetensorsSource checkpoint, string description, Func<string, string>? normalize = null, Device? device = null,
        bool headerOnly = false, WeightOptions? weights = null, bool bf16Matrices = false, DType dtype = DType.F32)
    {
        _dtype = dtype;
        _checkpoint = checkpoint;
        _description = description;
        _device = device ?? Device.Cpu;
        _headerOnly = headerOnly;
        _weights = weights ?? WeightOptions.Frozen;
        _bf16Matrices = bf16Matrices;
        Residency = weights is null || !_device.IsCpu ? static (_, _, _) => WeightResidency.Float32 : Decide;
        foreach (var stored in checkpoint.Entries.Keys)
        {
            var canonical = normalize?.Invoke(stored) ?? stored;
            if (!_canonicalToStored.TryAdd(canonical, stored))
                throw new CheckpointMismatchException($"{description}: tensors '{_canonicalToStored[canonical]}' and '{stored}' name the same parameter '{canonical}'");
        }
    }

    public Tensor Get(string name, Shape shape, ParameterInit init)
    {
        if (!_canonicalToStored.TryGetValue(name, out var stored))
        {
            _missing.Add($"{name} {shape}");
            return Placeholder(shape);
        }
        _used.Add(name);
        var entry = _checkpoint.Entries[stored];
        if (!entry.Shape.SequenceEqual(shape.ToArray().Select(d => (long)d)))
        {
            _mismatched.Add($"{stored}: checkpoint {entry.ShapeText}, model expects {shape}");
            return Placeholder(shape);
        }
        if (!entry.DType.IsFloatingPoint())
        {
            _mismatched.Add($"{stored}: stored as {entry.DType.ToHeaderName()}, the model needs a floating-point tensor");
            return Placeholder(shape);
        }
        var residency = Residency(name, entry.DType, shape);
        MaterializedBytes += shape.NumElements * residency switch
        {
            WeightResidency.Mapped => 0,
            WeightResidency.Bfloat16 => sizeof(ushort),
            _ => _device.IsCpu || _weights.Trainable(name) ? sizeof(float) : _dtype.SizeOf(),
        };
        if (_headerOnly) return Placeholder(shape);
        switch (residency)
        {
            case WeightResidency.Mapped:
                return _checkpoint.MapTensor(stored);
            case WeightResidency.Bfloat16:
                using (var mapped = _checkpoint.MapTensor(stored))
                    return mapped.To(DType.BF16);
            default:
                var weight = Tensor.FromFloats(_checkpoint.ReadAsFloat32(stored), shape, _device);
                if (_dtype == DType.F32 || _device.IsCpu || _weights.Trainable(name)) return weight;
                using (weight) return weight.To(_dtype);
        }
    }

    /// <summary>Bytes of memory the tensors handed out so far take (or, header-only, would take); mapped ones take none.</summary>
    public long MaterializedBytes { get; private set; }

    private Func<string, SafetensorsDType, Shape, WeightResidency> Residency { get; }

    private WeightResidency Decide(string name, SafetensorsDType stored, Shape shape)
    {
        if (_weights.Trainable(name)) return WeightResidency.Float32;
        var matrix = _bf16Matrices && shape.Rank >= 2;
        if (matrix && stored == SafetensorsDType.BF16) return WeightResidency.Mapped;
        if (matrix && _weights.Bf16) return WeightResidency.Bfloat16;
        return stored == SafetensorsDType.F32 ? WeightResidency.Mapped : WeightResidency.Float32;
    }

    /// <summary>Where a loaded tensor lives: in the mapped file as stored, rounded to bf16 memory, or widened to f32 memory.</summary>
    private enum WeightResidency
    {
        Mapped,
        Bfloat16,
        Float32,
    }

    /// <summary>A view of one zero with the parameter's shape: nothing of that size is allocated.</summary>
    private Tensor Placeholder(Shape shape)
    {
        _placeholder ??= Tensor.Zeros(Shape.Scalar, DType.F32, _device);
        return _placeholder.Expand(shape);
    }

    /// <summary>What did not match: missing (name and expected shape), unexpected stored names, shape or dtype mismatches.</summary>
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
        if (mismatched.Count > 0) lines.Add($"  shape or dtype mismatch ({mismatched.Count}): {string.Join("; ", mismatched.Take(20))}{More(mismatched.Count)}");
        throw new CheckpointMismatchException(string.Join(Environment.NewLine, lines));
    }

    private static string More(int count) => count > 20 ? $", … ({count - 20} more)" : "";
}
