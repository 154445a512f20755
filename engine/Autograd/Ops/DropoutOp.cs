using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Autograd.Ops;

/// <summary>
/// Inverted dropout: y = x · keep / (1 − p) with the counter-based mask of (seed, element index); the same
/// scaled mask multiplies the gradient.
/// </summary>
public sealed class DropoutOp : Op
{
    private Tensor _scale = null!;

    public static Tensor Apply(Tensor x, double p, ulong seed)
    {
        var keep = x.Backend.DropoutMask(x.Shape, p, seed);
        var kept = p >= 1 ? 0.0 : 1.0 / (1.0 - p);
        var scale = x.Backend.Where(keep, Tensor.Scalar(kept, x.DType, x.Device), Tensor.Scalar(0, x.DType, x.Device));
        return new DropoutOp { _scale = scale }.Record(x.Backend.Binary(BinaryKind.Mul, x, scale), x);
    }

    protected internal override Tensor?[] Backward(Tensor g) => [g.Backend.Binary(BinaryKind.Mul, g, _scale)];
}
