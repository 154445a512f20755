using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.LogProbs;

/// <summary>
/// Picks rows of a 2-D tensor [R, D] by index (the completion target positions of the flattened [B·T, D]
/// hidden states); the gradient is scattered back into a zero [R, D] tensor.
/// </summary>
public sealed class CompletionGatherOp : Op
{
    private int[] _rows = [];

    public static Tensor Apply(Tensor x, int[] rows)
    {
        if (x.Rank != 2) throw new ArgumentException($"completion gather needs [rows, D], got {x.Shape}");
        var op = new CompletionGatherOp { _rows = (int[])rows.Clone() };
        return op.Record(Backends.For<IFusedLogProbs>(x.Device).GatherRows(x, op._rows), x);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var x = Inputs[0];
        var grad = Backends.For<IFusedLogProbs>(g.Device).ScatterRows(g, _rows, x.Shape[0]);
        return [grad.DType == x.DType ? grad : grad.Backend.Cast(grad, x.DType)];
    }
}
