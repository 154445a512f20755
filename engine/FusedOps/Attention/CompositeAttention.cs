using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>
/// Attention spelled with ordinary tensor ops (MatMul, Where, Softmax) over the whole packed sequence with a
/// block-diagonal (and causal) mask. It materializes [Hq, Tq, Tk] scores and probabilities: the reference the
/// fused op is tested and benchmarked against, not something to train with.
/// </summary>
public static class CompositeAttention
{
    /// <summary>Value given to masked scores; finite so a fully masked row stays finite.</summary>
    public const double MaskedScore = -1e9;

    public static Tensor Varlen(Tensor q, Tensor k, Tensor v, AttentionSegments segments, bool causal, double scale)
    {
        var g = AttentionGeometry.Of(q, k, v, segments);
        var queries = q.Permute(1, 0, 2);
        var keys = RepeatKvHeads(k, g);
        var values = RepeatKvHeads(v, g);
        var scores = queries.MatMul(keys.Transpose(-1, -2)) * scale;
        var allowed = Tensor.FromArray(AllowedMask(segments, causal), g.TotalQ, g.TotalK);
        var masked = Tensor.Where(allowed, scores, Tensor.Scalar(MaskedScore, q.DType, q.Device));
        return masked.Softmax(-1).MatMul(values).Permute(1, 0, 2);
    }

    /// <summary>Bytes of the [Hq, Tq, Tk] tensors the composite holds at its peak: scores, masked scores and probabilities kept for backward, plus the gradients of probabilities and scores in backward, plus the mask.</summary>
    public static long PeakBytes(int headsQ, int totalQ, int totalK, int elementBytes) =>
        5L * headsQ * totalQ * totalK * elementBytes + (long)totalQ * totalK;

    /// <summary>True where query row i may see key j: same segment and, when causal, j ≤ i + (Lk − Lq) within it.</summary>
    public static bool[] AllowedMask(AttentionSegments segments, bool causal)
    {
        var (totalQ, totalK) = (segments.TotalQ, segments.TotalK);
        var allowed = new bool[(long)totalQ * totalK];
        for (var s = 0; s < segments.Count; s++)
        {
            var (q0, q1) = (segments.CuSeqlensQ[s], segments.CuSeqlensQ[s + 1]);
            var (k0, k1) = (segments.CuSeqlensK[s], segments.CuSeqlensK[s + 1]);
            var diagonal = (k1 - k0) - (q1 - q0);
            for (var i = q0; i < q1; i++)
            {
                var end = causal ? Math.Min(k1, k0 + (i - q0) + diagonal + 1) : k1;
                for (var j = k0; j < end; j++) allowed[(long)i * totalK + j] = true;
            }
        }
        return allowed;
    }

    /// <summary>[Tk, Hkv, D] → [Hq, Tk, D] with each kv head repeated for its group of query heads.</summary>
    private static Tensor RepeatKvHeads(Tensor x, AttentionGeometry g)
    {
        var heads = x.Permute(1, 0, 2);
        if (g.Group == 1) return heads;
        return heads.Unsqueeze(1).Expand(new Shape(g.HeadsKv, g.Group, g.TotalK, g.HeadDim)).Reshape(g.HeadsQ, g.TotalK, g.HeadDim);
    }
}
