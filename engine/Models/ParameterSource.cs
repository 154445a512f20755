using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Models;

/// <summary>
/// Supplies a model's parameters by checkpoint name and expected shape. A model is built by asking for every
/// tensor it needs; a checkpoint source then knows exactly what was missing, unexpected or mis-shaped.
/// </summary>
public interface IParameterSource
{
    /// <summary>The tensor named <paramref name="name"/> with the given shape, as F32 on the source's device.</summary>
    Tensor Get(string name, Shape shape, ParameterInit init);
}

/// <summary>How a freshly initialized parameter is filled (ignored by checkpoint sources).</summary>
public enum ParameterInit
{
    Normal,
    Zeros,
    Ones,
}

/// <summary>Deterministic random parameters: N(0, std²) weights, zero biases, unit norm weights.</summary>
public sealed class RandomParameterSource(ulong seed, double std = 0.02, Device? device = null) : IParameterSource
{
    private readonly RandomGenerator _rng = new(seed);

    public Tensor Get(string name, Shape shape, ParameterInit init) => init switch
    {
        ParameterInit.Zeros => Tensor.Zeros(shape, DType.F32, device),
        ParameterInit.Ones => Tensor.Ones(shape, DType.F32, device),
        _ => Tensor.RandN(shape, _rng, std, DType.F32, device),
    };
}

/// <summary>The parameters of a built model, by checkpoint name, in creation order.</summary>
public sealed class ParameterSet
{
    private readonly List<KeyValuePair<string, Tensor>> _ordered = [];
    private readonly Dictionary<string, Tensor> _byName = new(StringComparer.Ordinal);

    public IReadOnlyList<KeyValuePair<string, Tensor>> All => _ordered;

    public Tensor this[string name] => _byName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"no parameter named '{name}'");

    public bool Contains(string name) => _byName.ContainsKey(name);

    public long Count => _ordered.Sum(p => p.Value.NumElements);

    internal Tensor Add(string name, Tensor t)
    {
        if (!_byName.TryAdd(name, t)) return _byName[name];
        t.Name = name;
        _ordered.Add(new(name, t));
        return t;
    }
}

/// <summary>Asks a source for parameters and records them in a <see cref="ParameterSet"/>.</summary>
public sealed class ParameterBuilder(IParameterSource source, ParameterSet set, string prefix = "")
{
    public ParameterSet Set => set;

    public ParameterBuilder Scope(string name) => new(source, set, prefix + name + ".");

    public Tensor Weight(string name, params int[] shape) => Take(name, new Shape(shape), ParameterInit.Normal);

    public Tensor Bias(string name, int size) => Take(name, new Shape(size), ParameterInit.Zeros);

    public Tensor NormWeight(string name, int size) => Take(name, new Shape(size), ParameterInit.Ones);

    /// <summary>A tensor already built under another name (tied weights): recorded once, under its first name.</summary>
    public Tensor Take(string name, Shape shape, ParameterInit init)
    {
        var full = prefix + name;
        if (set.Contains(full)) return set[full];
        var t = TensorScope.Untracked(() => source.Get(full, shape, init));
        if (t.Shape != shape) throw new InvalidOperationException($"parameter '{full}' has shape {t.Shape}, expected {shape}");
        return set.Add(full, t);
    }

}
