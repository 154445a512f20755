using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Models;

/// <summary>
/// Eager attention as the reference models compute it: scores = q·kᵀ·scale + additive mask, fp32 softmax,
/// weighted sum of v. GQA repeats each kv head for its group of query heads.
/// </summary>
public static class ScaledDotProductAttention
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

    /// <summary>[B, Hkv, T, D] → [B, Hkv·rep, T, D], kv head h serving query heads h·rep … h·rep+rep−1.</summary>
    public static Tensor RepeatKv(Tensor x, int rep)
    {
        var (b, h, t, d) = (x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);
        return x.Unsqueeze(2).Expand(new Shape(b, h, rep, t, d)).Reshape(b, h * rep, t, d);
    }

    /// <summary>Causal plus key-padding additive mask [B, 1, T, T] (0 allowed, MaskValue blocked).</summary>
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
}
