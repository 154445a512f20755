using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Autograd.Ops;

/// <summary>
/// y = x·cos + rotate_half(x)·sin. The map is linear in x, so dx is its transpose applied to g (the backend's
/// inverse rotation); dcos = g·x and dsin = g·rotate_half(x), summed back over broadcast dims.
/// </summary>
public sealed class RotaryOp : Op
{
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin) => new RotaryOp().Record(x.Backend.Rotary(x, cos, sin, inverse: false), x, cos, sin);

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var x = Inputs[0];
        var gx = NeedsGrad(0) ? g.Backend.Rotary(g, Inputs[1], Inputs[2], inverse: true) : null;
        var gcos = NeedsGrad(1) ? SumToShape(g * x, Inputs[1].Shape) : null;
        Tensor? gsin = null;
        if (NeedsGrad(2))
        {
            // rotate_half(x) is the rotation with cos = 0 and sin = 1.
            var rotated = x.Backend.Rotary(x, Tensor.Scalar(0, x.DType, x.Device), Tensor.Scalar(1, x.DType, x.Device), inverse: false);
            gsin = SumToShape(g * rotated, Inputs[2].Shape);
        }
        return [gx, gcos, gsin];
    }
}
