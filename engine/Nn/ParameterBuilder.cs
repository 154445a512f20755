using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Nn;

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
        var t = Autograd.Tape.Untracked(() => source.Get(full, shape, init));
        if (t.Shape != shape) throw new InvalidOperationException($"parameter '{full}' has shape {t.Shape}, expected {shape}");
        return set.Add(full, t);
    }

}
