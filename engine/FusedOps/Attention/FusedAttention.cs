using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>
/// Entry points of fused attention. Packed form: q [Tq, Hq, D], k and v [Tk, Hkv, D] with segment bounds
/// cu_seqlens (I32 [S+1]); padded form: [B, T, H, D] with a key padding mask [B, T]; decode: one query per
/// sequence against a KV cache. The default scale is 1/√D.
/// </summary>
public static class FusedAttention
{
    /// <summary>Attention over packed segments; returns [Tq, Hq, D].</summary>
    public static Tensor Varlen(Tensor q, Tensor k, Tensor v, Tensor cuSeqlensQ, Tensor cuSeqlensK, bool causal, double? scale = null) =>
        Varlen(q, k, v, AttentionSegments.FromTensors(cuSeqlensQ, cuSeqlensK), causal, scale);

    public static Tensor Varlen(Tensor q, Tensor k, Tensor v, AttentionSegments segments, bool causal, double? scale = null) =>
        HasFusedPath(q)
            ? VarlenWithLogSumExp(q, k, v, segments, causal, scale).Output
            : EagerAttention.Varlen(q, k, v, segments, causal, scale ?? DefaultScale(q));

    /// <summary>
    /// Whether the device has a fused implementation registered; one without takes the composite path of
    /// <see cref="EagerAttention"/>, which holds the T×T scores but runs on any backend. (CUDA's kernels are bf16; its
    /// implementation serves f32 through the CPU's fused attention, so both devices give rows that see no key the
    /// same zero output, and refuses f64 with a message naming what runs.)
    /// </summary>
    public static bool HasFusedPath(Tensor q) => Backends.TryFor<IFusedAttention>(q.Device) is not null;

    /// <summary>Attention output and the row log-sum-exp [Hq, Tq] of the scaled scores.</summary>
    public static (Tensor Output, Tensor LogSumExp) VarlenWithLogSumExp(
        Tensor q, Tensor k, Tensor v, AttentionSegments segments, bool causal, double? scale = null, bool deterministic = false) =>
        AttentionOp.Apply(q, k, v, segments, new AttentionOptions(causal, scale ?? DefaultScale(q), deterministic));

    /// <summary>
    /// Self-attention over a padded batch: q [B, T, Hq, D], k and v [B, T, Hkv, D], keyPaddingMask [B, T]
    /// (nonzero or true = a real token; null = no padding). Real tokens are packed into one segment per row,
    /// so causal order is the order of the real tokens (left or right padding alike). Padded query positions
    /// get zeros. Returns [B, T, Hq, D].
    /// </summary>
    public static Tensor Padded(Tensor q, Tensor k, Tensor v, Tensor? keyPaddingMask, bool causal, double? scale = null)
    {
        if (q.Rank != 4 || k.Rank != 4 || v.Rank != 4)
            throw new ArgumentException($"padded attention: q, k, v must be [B, T, H, D], got {q.Shape}, {k.Shape}, {v.Shape}");
        var (batch, tokens) = (q.Shape[0], q.Shape[1]);
        if (k.Shape[0] != batch || k.Shape[1] != tokens)
            throw new ArgumentException($"padded attention: k {k.Shape} must share B and T with q {q.Shape}");
        var flatQ = q.Reshape(batch * tokens, q.Shape[2], q.Shape[3]);
        var flatK = k.Reshape(batch * tokens, k.Shape[2], k.Shape[3]);
        var flatV = v.Reshape(batch * tokens, v.Shape[2], v.Shape[3]);
        if (keyPaddingMask is null)
        {
            var cu = Enumerable.Range(0, batch + 1).Select(b => b * tokens).ToArray();
            return Varlen(flatQ, flatK, flatV, new AttentionSegments(cu, cu), causal, scale).Reshape(q.Shape);
        }
        if (keyPaddingMask.Shape != new Shape(batch, tokens))
            throw new ArgumentException($"padded attention: key padding mask must be [B, T] = [{batch}, {tokens}], got {keyPaddingMask.Shape}");
        var keep = keyPaddingMask.ToDoubleArray();
        var rows = new List<int>();
        var cuSeqlens = new int[batch + 1];
        for (var b = 0; b < batch; b++)
        {
            for (var t = 0; t < tokens; t++)
                if (keep[b * tokens + t] != 0) rows.Add(b * tokens + t);
            cuSeqlens[b + 1] = rows.Count;
        }
        var index = rows.ToArray();
        var segments = new AttentionSegments(cuSeqlens, cuSeqlens);
        var packed = Varlen(TokenRowsOp.Pack(flatQ, index), TokenRowsOp.Pack(flatK, index), TokenRowsOp.Pack(flatV, index), segments, causal, scale ?? DefaultScale(q));
        return TokenRowsOp.Unpack(packed, index, batch * tokens).Reshape(q.Shape);
    }

    /// <summary>Generation: q [B, Hq, D] against caches [B, Tmax, Hkv, D] holding lengths[b] tokens → [B, Hq, D] (no gradient).</summary>
    public static Tensor Decode(Tensor q, Tensor kCache, Tensor vCache, int[] lengths, double? scale = null) =>
        Backends.For<IFusedAttention>(q.Device).Decode(q, kCache, vCache, lengths, scale ?? DefaultScale(q));

    public static Tensor Decode(Tensor q, Tensor kCache, Tensor vCache, Tensor lengths, double? scale = null) =>
        Decode(q, kCache, vCache, Array.ConvertAll(lengths.ToDoubleArray(), x => checked((int)x)), scale);

    public static double DefaultScale(Tensor q) => 1.0 / Math.Sqrt(q.Shape[^1]);
}
