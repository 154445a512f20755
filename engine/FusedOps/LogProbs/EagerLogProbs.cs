using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.LogProbs;

/// <summary>
/// The completion gather, the token log-probs and the segment sums spelled with ordinary differentiable ops, for a
/// device that has no <see cref="IFusedLogProbs"/> registered. It holds the [N, V] logits of the gathered rows at
/// once (in fp32, or fp64 for F64 inputs), so it suits small models and tests; the fused op is the path for real
/// vocabularies.
/// </summary>
internal static class EagerLogProbs
{
    /// <summary>True when the device has no fused implementation, so the entry points take this path.</summary>
    public static bool Serves(Device device) => Backends.TryFor<IFusedLogProbs>(device) is null;

    /// <summary>out[i] = x[rows[i]] for a 2-D x [R, D].</summary>
    public static Tensor GatherRows(Tensor x, int[] rows) => x.IndexSelect(0, Tensor.FromArray(rows, rows.Length).To(x.Device));

    /// <summary>ℓ[N] = log softmax(hidden·weightᵀ + bias)[targets] and, on request, the entropy [N]; rows with a negative target give 0.</summary>
    public static (Tensor LogProbs, Tensor? Entropy) Compute(Tensor hidden, Tensor weight, Tensor targets, Tensor? bias, bool withEntropy)
    {
        var compute = hidden.DType == DType.F64 ? DType.F64 : DType.F32;
        var logits = Widen(hidden, compute).MatMul(Widen(weight, compute).T);
        if (bias is not null) logits = logits + Widen(bias, compute);
        var logSoftmax = logits.LogSoftmax(-1);
        var ids = targets.ToDoubleArray();
        var rows = ids.Length;
        var valid = Tensor.FromDoubles(Array.ConvertAll(ids, id => id < 0 ? 0.0 : 1.0), new Shape(rows), compute, hidden.Device);
        var safeIds = Tensor.FromArray(Array.ConvertAll(ids, id => id < 0 ? 0L : (long)id), rows, 1).To(hidden.Device);
        var logProbs = logSoftmax.Gather(1, safeIds).Reshape(rows) * valid;
        if (!withEntropy) return (logProbs, null);
        var entropy = -(logSoftmax.Exp() * logSoftmax).Sum(1) * valid;
        return (logProbs, entropy);
    }

    /// <summary>S[s] = Σ values[i] with segmentIds[i] = s, differentiable in values.</summary>
    public static Tensor SegmentSum(Tensor values, Tensor segmentIds, int numSegments) =>
        Tensor.Zeros(new Shape(numSegments), values.DType, values.Device).IndexAdd(0, segmentIds, values);

    private static Tensor Widen(Tensor t, DType compute) => t.DType == compute ? t : t.To(compute);
}
