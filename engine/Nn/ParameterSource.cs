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

public enum ParameterInitKind
{
    Normal,
    Zeros,
    Ones,
    Uniform,
}

/// <summary>How a freshly initialized parameter is filled (checkpoint sources ignore it).</summary>
/// <param name="Bound">for <see cref="ParameterInitKind.Uniform"/>: values are drawn from U(−Bound, Bound)</param>
public readonly record struct ParameterInit(ParameterInitKind Kind, double Bound = 0)
{
    /// <summary>N(0, std²), std chosen by the source (Hugging Face initializes weights this way).</summary>
    public static ParameterInit Normal => new(ParameterInitKind.Normal);

    public static ParameterInit Zeros => new(ParameterInitKind.Zeros);

    public static ParameterInit Ones => new(ParameterInitKind.Ones);

    public static ParameterInit Uniform(double bound) => new(ParameterInitKind.Uniform, bound);
}

/// <summary>
/// Deterministic random parameters, drawn in request order from one generator: N(0, std²) or U(−b, b) as the init
/// asks, zeros and ones as asked. Each value is drawn in float64 and rounded to F32 once, so a seed gives the same
/// values whether they become tensors (<see cref="Get"/>) or are streamed to a file (<see cref="Values"/>).
/// </summary>
public sealed class RandomParameterSource(RandomGenerator rng, double std = 0.02, Device? device = null) : IParameterSource
{
    public RandomParameterSource(ulong seed, double std = 0.02, Device? device = null)
        : this(new RandomGenerator(seed), std, device)
    {
    }

    public Tensor Get(string name, Shape shape, ParameterInit init) => init.Kind switch
    {
        ParameterInitKind.Zeros => Tensor.Zeros(shape, DType.F32, device),
        ParameterInitKind.Ones => Tensor.Ones(shape, DType.F32, device),
        _ => Tensor.FromFloats(Values(shape.NumElements, init), shape, device),
    };

    /// <summary>The next <paramref name="count"/> values for a parameter of this init, as <see cref="Get"/> would fill it.</summary>
    public float[] Values(long count, ParameterInit init)
    {
        var values = new float[count];
        switch (init.Kind)
        {
            case ParameterInitKind.Zeros:
                break;
            case ParameterInitKind.Ones:
                Array.Fill(values, 1f);
                break;
            case ParameterInitKind.Uniform:
                var (low, high) = (-init.Bound, init.Bound);
                for (long i = 0; i < count; i++) values[i] = (float)(low + (high - low) * rng.NextDouble());
                break;
            default:
                for (long i = 0; i < count; i++) values[i] = (float)(rng.NextNormal() * std);
                break;
        }
        return values;
    }
}
