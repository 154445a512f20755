using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Nn;

/// <summary>
/// The parameters of a built network, by checkpoint name, in creation order: the one parameter system of the
/// engine, shared by the models and the style classifier. Parameters belong to no tape; disposing the set frees
/// them and their gradients.
/// </summary>
public sealed class ParameterSet : IDisposable
{
    private readonly List<KeyValuePair<string, Tensor>> _ordered = [];
    private readonly Dictionary<string, Tensor> _byName = new(StringComparer.Ordinal);

    public IReadOnlyList<KeyValuePair<string, Tensor>> All => _ordered;

    /// <summary>(name, tensor) pairs in creation order, as the optimizer's decay groups take them.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> Named => _ordered.Select(p => (p.Key, p.Value));

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

    public void Dispose()
    {
        foreach (var (_, t) in _ordered)
        {
            t.Grad?.Dispose();
            t.Grad = null;
            t.Dispose();
        }
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

    /// <summary>
    /// "{name}.weight" [out, in] and "{name}.bias" [out] initialized as torch.nn.Linear does, U(±1/√in) for both
    /// (the models instead follow their checkpoints' Hugging Face initialization through <see cref="Weight"/>).
    /// </summary>
    public (Tensor Weight, Tensor? Bias) Linear(string name, int inFeatures, int outFeatures, bool bias = true)
    {
        if (inFeatures <= 0 || outFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), $"linear layer '{prefix}{name}' of {inFeatures} → {outFeatures} features");
        var init = ParameterInit.Uniform(1.0 / Math.Sqrt(inFeatures));
        var weight = Take(name + ".weight", new Shape(outFeatures, inFeatures), init);
        return (weight, bias ? Take(name + ".bias", new Shape(outFeatures), init) : null);
    }

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
