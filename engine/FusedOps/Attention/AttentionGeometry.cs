using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>Checked sizes of one fused-attention call: q [Tq, Hq, D], k and v [Tk, Hkv, D].</summary>
internal readonly record struct AttentionGeometry(int TotalQ, int TotalK, int HeadsQ, int HeadsKv, int HeadDim)
{
    /// <summary>Query heads that share one kv head.</summary>
    public int Group => HeadsQ / HeadsKv;

    /// <summary>Elements between one token's query row and the next's (all heads).</summary>
    public int QueryStride => HeadsQ * HeadDim;

    /// <summary>Elements between one token's key (or value) row and the next's.</summary>
    public int KeyStride => HeadsKv * HeadDim;

    public int QueryIndex(int token, int head) => (token * HeadsQ + head) * HeadDim;

    public int KeyIndex(int token, int head) => (token * HeadsKv + head) * HeadDim;

    public static AttentionGeometry Of(Tensor q, Tensor k, Tensor v, AttentionSegments segments)
    {
        if (q.Rank != 3) throw new ArgumentException($"attention: q must be [Tq, Hq, D], got {q.Shape}");
        if (k.Rank != 3) throw new ArgumentException($"attention: k must be [Tk, Hkv, D], got {k.Shape}");
        if (v.Shape != k.Shape) throw new ArgumentException($"attention: v {v.Shape} must have the shape of k {k.Shape}");
        if (k.Shape[2] != q.Shape[2]) throw new ArgumentException($"attention: q head dim {q.Shape[2]} differs from k head dim {k.Shape[2]}");
        var headsQ = q.Shape[1];
        var headsKv = k.Shape[1];
        if (headsKv == 0 || headsQ % headsKv != 0)
            throw new ArgumentException($"attention: query heads ({headsQ}) must be a multiple of kv heads ({headsKv})");
        if (q.Shape[0] != segments.TotalQ)
            throw new ArgumentException($"attention: q has {q.Shape[0]} tokens but cu_seqlens_q ends at {segments.TotalQ}");
        if (k.Shape[0] != segments.TotalK)
            throw new ArgumentException($"attention: k has {k.Shape[0]} tokens but cu_seqlens_k ends at {segments.TotalK}");
        if (q.Device != k.Device || q.Device != v.Device)
            throw new ArgumentException($"attention: q, k, v must be on one device, got {q.Device}, {k.Device}, {v.Device}");
        return new AttentionGeometry(q.Shape[0], k.Shape[0], headsQ, headsKv, q.Shape[2]);
    }

    /// <summary>
    /// Checked sizes of one decode step: q [B, Hq, D] against caches [B, Tmax, Hkv, D] holding lengths[b] tokens.
    /// TotalK is Tmax here, and TotalQ the batch.
    /// </summary>
    public static AttentionGeometry OfDecode(Tensor q, Tensor kCache, Tensor vCache, int[] lengths)
    {
        if (q.Rank != 3) throw new ArgumentException($"attention decode: q must be [B, Hq, D], got {q.Shape}");
        if (kCache.Rank != 4 || vCache.Shape != kCache.Shape)
            throw new ArgumentException($"attention decode: caches must both be [B, Tmax, Hkv, D], got k {kCache.Shape} and v {vCache.Shape}");
        var (batch, headsQ, d) = (q.Shape[0], q.Shape[1], q.Shape[2]);
        var (maxTokens, headsKv) = (kCache.Shape[1], kCache.Shape[2]);
        if (kCache.Shape[0] != batch || kCache.Shape[3] != d)
            throw new ArgumentException($"attention decode: caches {kCache.Shape} do not match q {q.Shape} (batch and head dim)");
        if (headsKv == 0 || headsQ % headsKv != 0)
            throw new ArgumentException($"attention decode: query heads ({headsQ}) must be a multiple of kv heads ({headsKv})");
        if (lengths.Length != batch) throw new ArgumentException($"attention decode: {lengths.Length} lengths for a batch of {batch}");
        foreach (var length in lengths)
            if (length < 0 || length > maxTokens) throw new ArgumentException($"attention decode: length {length} outside the cache of {maxTokens} tokens");
        return new AttentionGeometry(batch, maxTokens, headsQ, headsKv, d);
    }
}
