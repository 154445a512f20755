using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.LogProbs;

/// <summary>Per-sequence reductions over token values grouped by segment id: S (sum), L (count), A = S / L (mean).</summary>
public static class Segments
{
    /// <summary>S[s] = Σ values[i] with segmentIds[i] = s; differentiable in values.</summary>
    public static Tensor Sum(Tensor values, Tensor segmentIds, int numSegments) =>
        EagerLogProbs.Serves(values.Device) ? EagerLogProbs.SegmentSum(values, segmentIds, numSegments) : SegmentSumOp.Apply(values, segmentIds, numSegments);

    /// <summary>L[s]: how many values belong to segment s, in the given float dtype (no gradient).</summary>
    public static Tensor Count(Tensor segmentIds, int numSegments, DType dtype = DType.F32)
    {
        var ones = Tensor.Ones(segmentIds.Shape, dtype, segmentIds.Device);
        return EagerLogProbs.Serves(segmentIds.Device)
            ? EagerLogProbs.SegmentSum(ones, segmentIds, numSegments)
            : Backends.For<IFusedLogProbs>(segmentIds.Device).SegmentSum(ones, segmentIds, numSegments);
    }

    /// <summary>A[s] = S[s] / L[s]; a segment with no values has mean 0 (its count is clamped to 1).</summary>
    public static Tensor Mean(Tensor values, Tensor segmentIds, int numSegments)
    {
        var counts = Count(segmentIds, numSegments, values.DType).Clamp(1, double.MaxValue);
        return Sum(values, segmentIds, numSegments) / counts;
    }
}
