using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Nn;

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
