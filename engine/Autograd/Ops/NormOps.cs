using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Autograd.Ops;

/// <summary>RMSNorm over the last dim with a [D] weight; backward uses the saved inverse RMS per row.</summary>
public sealed class RmsNormOp : Op
{
    private Tensor _invRms = null!;

    public static Tensor Apply(Tensor x, Tensor weight, double eps)
    {
        var (y, invRms) = x.Backend.RmsNorm(x, weight, eps);
        return new RmsNormOp { _invRms = invRms }.Record(y, x, weight);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var (gx, gw) = g.Backend.RmsNormBackward(Inputs[0], Inputs[1], _invRms, g);
        return [NeedsGrad(0) ? gx : null, NeedsGrad(1) ? gw : null];
    }
}

/// <summary>LayerNorm over the last dim (biased variance) with [D] weight and bias.</summary>
public sealed class LayerNormOp : Op
{
    private Tensor _mean = null!;
    private Tensor _invStd = null!;

    public static Tensor Apply(Tensor x, Tensor weight, Tensor bias, double eps)
    {
        var (y, mean, invStd) = x.Backend.LayerNorm(x, weight, bias, eps);
        return new LayerNormOp { _mean = mean, _invStd = invStd }.Record(y, x, weight, bias);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var (gx, gw, gb) = g.Backend.LayerNormBackward(Inputs[0], Inputs[1], _mean, _invStd, g);
        return [NeedsGrad(0) ? gx : null, NeedsGrad(1) ? gw : null, NeedsGrad(2) ? gb : null];
    }
}
