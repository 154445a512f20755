using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.LogProbs;

/// <summary>
/// out[s] = Σ values[i] over the i with segmentIds[i] = s: the per-sequence sum of token log-probs.
/// The gradient of value i is the gradient of its segment.
/// </summary>
public sealed class SegmentSumOp : Op
{
    private Tensor _segmentIds = null!;

    public static Tensor Apply(Tensor values, Tensor segmentIds, int numSegments)
    {
        if (values.Rank != 1) throw new ArgumentException($"segment sum needs values [N], got {values.Shape}");
        if (segmentIds.Rank != 1 || segmentIds.Shape[0] != values.Shape[0])
            throw new ArgumentException($"segment sum: segment ids must be [{values.Shape[0]}], got {segmentIds.Shape}");
        if (numSegments < 0) throw new ArgumentOutOfRangeException(nameof(numSegments), $"segment count must be ≥ 0, got {numSegments}");
        var op = new SegmentSumOp { _segmentIds = segmentIds };
        return op.Record(Backends.For<IFusedLogProbs>(values.Device).SegmentSum(values, segmentIds, numSegments), values);
    }

    protected internal override Tensor?[] Backward(Tensor g) => [Backends.For<IFusedLogProbs>(g.Device).BroadcastSegments(g, _segmentIds)];
}
