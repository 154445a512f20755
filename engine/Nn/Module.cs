using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Nn;

/// <summary>
/// A layer with named parameters and child modules. Parameters are leaves that require grad and belong to
/// no tensor scope (they live as long as the module); disposing the module frees them and their gradients.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Tensor Value)> _parameters = [];
    private readonly List<(string Name, Module Value)> _children = [];
    private bool _disposed;

    /// <summary>True in training mode (dropout active), false after <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Every parameter of this module and its children, depth first, named by dotted path ("layers.0.weight").</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters()
    {
        foreach (var (name, p) in _parameters) yield return (name, p);
        foreach (var (prefix, child) in _children)
            foreach (var (name, p) in child.NamedParameters())
                yield return ($"{prefix}.{name}", p);
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(np => np.Parameter);

    /// <summary>Sets training mode on this module and every child.</summary>
    public Module Train(bool training = true)
    {
        IsTraining = training;
        foreach (var (_, child) in _children) child.Train(training);
        return this;
    }

    public Module Eval() => Train(false);

    /// <summary>Frees and clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters())
        {
            p.Grad?.Dispose();
            p.Grad = null;
        }
    }

    /// <summary>Registers a leaf parameter; it must not be owned by a tensor scope (create it with <see cref="TensorScope.Untracked"/>).</summary>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        if (_parameters.Any(p => p.Name == name)) throw new ArgumentException($"{GetType().Name} already has a parameter named '{name}'");
        value.RequiresGrad = true;
        value.Name ??= name;
        _parameters.Add((name, value));
        return value;
    }

    protected TModule RegisterModule<TModule>(string name, TModule module)
        where TModule : Module
    {
        if (_children.Any(c => c.Name == name)) throw new ArgumentException($"{GetType().Name} already has a child named '{name}'");
        _children.Add((name, module));
        return module;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var (_, p) in _parameters)
        {
            p.Grad?.Dispose();
            p.Dispose();
        }
        foreach (var (_, child) in _children) child.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>y = x·Wᵀ + b with W [out, in] and b [out], initialized U(−1/√in, 1/√in) as torch.nn.Linear does.</summary>
public sealed class Linear : Module
{
    public Linear(int inFeatures, int outFeatures, RandomGenerator rng, bool bias = true, DType dtype = DType.F32, Device? device = null)
    {
        if (inFeatures <= 0 || outFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(inFeatures), $"linear layer of {inFeatures} → {outFeatures} features");
        var bound = 1.0 / Math.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", TensorScope.Untracked(() => Tensor.Rand(new Shape(outFeatures, inFeatures), rng, -bound, bound, dtype, device)));
        if (bias) Bias = RegisterParameter("bias", TensorScope.Untracked(() => Tensor.Rand(new Shape(outFeatures), rng, -bound, bound, dtype, device)));
    }

    public Tensor Weight { get; }

    public Tensor? Bias { get; }

    public int InFeatures => Weight.Shape[1];

    public int OutFeatures => Weight.Shape[0];

    public Tensor Forward(Tensor x) => Functional.Linear(x, Weight, Bias);
}
