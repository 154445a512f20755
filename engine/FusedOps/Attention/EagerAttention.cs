using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>
/// Attention spelled with ordinary tensor ops, as the Hugging Face reference models compute it: scores =
/// q·kᵀ·scale + additive mask, softmax, weighted sum of v, with each kv head repeated for its group of query
/// heads (GQA). It materializes the [B, Hq, Tq, Tk] scores and probabilities, so it serves where a model needs an
/// arbitrary additive mask (CLIP, decoding against a cache) and as the reference the fused op is tested and
/// benchmarked against; training-size sequences go through <see cref="FusedAttention"/>.
/// </summary>
public static class EagerAttention
{
    /// <summary>The additive mask value the reference uses for disallowed keys (finfo(float32).min, not −inf).</summary>
    public const double MaskValue = -3.4028234663852886e38;

    /// <param name="q">[B, Hq, Tq, D]</param>
    /// <param name="k">[B, Hkv, Tk, D]</param>
    /// <param name="v">[B, Hkv, Tk, D]</param>
    /// <param name="additiveMask">broadcastable to [B, Hq, Tq, Tk], or null</param>
    /// <returns>[B, Hq, Tq, D]</returns>
    public static Tensor Compute(Tensor q, Tensor k, Tensor v, Tensor? additiveMask, double scale)
    {
        var hq = q.Shape[1];
        var hkv = k.Shape[1];
        if (hq % hkv != 0) throw new ArgumentException($"{hq} query heads are not a multiple of {hkv} kv heads");
        if (hq != hkv)
        {
            k = RepeatKv(k, hq / hkv);
            v = RepeatKv(v, hq / hkv);
        }
        var scores = q.MatMul(k.Transpose(-1, -2)) * scale;
        if (additiveMask is not null) scores = scores + additiveMask;
        return scores.Softmax(-1).MatMul(v);
    }

    /// <summary>
    /// The packed form of <see cref="FusedAttention.Varlen(Tensor, Tensor, Tensor, AttentionSegments, bool, double?)"/>:
    /// q [Tq, Hq, D], k and v [Tk, Hkv, D] → [Tq, Hq, D], as one attention over the whole packed sequence with a
    /// block-diagonal (and causal) additive mask. A row that sees no key averages every value instead of giving
    /// zeros as the fused op does.
    /// </summary>
    public static Tensor Varlen(Tensor q, Tensor k, Tensor v, AttentionSegments segments, bool causal, double scale)
    {
        AttentionGeometry.Of(q, k, v, segments);
        var mask = SegmentMask(segments, causal, q.DType, q.Device);
        var heads = Compute(q.Permute(1, 0, 2).Unsqueeze(0), k.Permute(1, 0, 2).Unsqueeze(0), v.Permute(1, 0, 2).Unsqueeze(0), mask, scale);
        return heads.Squeeze(0).Permute(1, 0, 2);
    }

    /// <summary>[B, Hkv, T, D] → [B, Hkv·rep, T, D], kv head h serving query heads h·rep … h·rep+rep−1.</summary>
    public static Tensor RepeatKv(Tensor x, int rep)
    {
        var (b, h, t, d) = (x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);
        return x.Unsqueeze(2).Expand(new Shape(b, h, rep, t, d)).Reshape(b, h * rep, t, d);
    }

    /// <summary>Causal plus key-padding additive mask [B, 1, T, T] (0 allowed, <see cref="MaskValue"/> blocked), F32.</summary>
    public static Tensor CausalMask(int batch, int length, long[,]? keyMask, bool causal = true)
    {
        var m = new float[batch * length * length];
        for (var b = 0; b < batch; b++)
            for (var i = 0; i < length; i++)
                for (var j = 0; j < length; j++)
                {
                    var blocked = (causal && j > i) || (keyMask is not null && keyMask[b, j] == 0);
                    m[(b * length + i) * length + j] = blocked ? (float)MaskValue : 0f;
                }
        return Tensor.FromFloats(m, new Shape(batch, 1, length, length));
    }

    /// <summary>
    /// True where query row i may see key row j: j is one of its segment's keys (its key prefix, then its own keys)
    /// and, when causal, its index in that [prefix ; own keys] sequence is at most i + (Lk − Lq).
    /// </summary>
    public static bool[] AllowedMask(AttentionSegments segments, bool causal)
    {
        var (totalQ, totalK) = (segments.TotalQ, segments.TotalK);
        var allowed = new bool[(long)totalQ * totalK];
        for (var s = 0; s < segments.Count; s++)
        {
            var (q0, _, lengthQ, ownKeys) = segments[s];
            var lengthK = segments.KeyPrefix(s).Length + ownKeys;
            var diagonal = lengthK - lengthQ;
            for (var i = 0; i < lengthQ; i++)
            {
                var end = causal ? Math.Min(lengthK, i + diagonal + 1) : lengthK;
                foreach (var (row, length, first) in segments.KeyRanges(s))
                    for (var j = first; j < Math.Min(end, first + length); j++) allowed[(long)(q0 + i) * totalK + row + j - first] = true;
            }
        }
        return allowed;
    }

    /// <summary>Bytes of the [Hq, Tq, Tk] tensors the packed form holds at its peak: scores, masked scores and probabilities kept for backward, plus the gradients of probabilities and scores in backward, plus the [Tq, Tk] mask.</summary>
    public static long PeakBytes(int headsQ, int totalQ, int totalK, int elementBytes) =>
        (5L * headsQ + 1) * totalQ * totalK * elementBytes;

    /// <summary>The additive [Tq, Tk] mask of packed segments in the given dtype: 0 where allowed, <see cref="MaskValue"/> elsewhere.</summary>
    private static Tensor SegmentMask(AttentionSegments segments, bool causal, DType dtype, Device device)
    {
        var allowed = AllowedMask(segments, causal);
        var values = new double[allowed.Length];
        for (var i = 0; i < values.Length; i++) values[i] = allowed[i] ? 0 : MaskValue;
        return Tensor.FromDoubles(values, new Shape(segments.TotalQ, segments.TotalK), dtype, device);
    }
}
