using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Nn;

/// <summary>Stateless layers built on the op classes; every function records autograd history.</summary>
public static partial class Functional
{
    /// <summary>
    /// weight [V, D] rows for ids [...] → [..., D]. Backward index-adds the output gradient into a zero [V, D]. A bf16
    /// table (a frozen checkpoint's) is read row by row where it lies and only the picked rows are widened to f32.
    /// </summary>
    public static Tensor Embedding(Tensor weight, Tensor ids)
    {
        if (weight.Rank != 2) throw new ArgumentException($"embedding weight must be [V, D], got {weight.Shape}");
        var rows = weight.IndexSelect(0, ids.Rank == 1 ? ids : ids.Reshape((int)ids.NumElements));
        // The CPU holds a bf16 table only as storage and computes in f32; a GPU's bf16 activations stay bf16.
        if (rows.DType == DType.BF16 && rows.Device.IsCpu) rows = rows.To(DType.F32);
        return rows.Reshape(new Shape([.. ids.Shape, weight.Shape[1]]));
    }

    /// <summary>x [..., in] · weightᵀ (weight [out, in], read through a transposed view) + bias [out].</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        if (weight.Rank != 2 || x.Rank == 0 || x.Shape[^1] != weight.Shape[1])
            throw new ArgumentException($"linear: input {x.Shape} does not match weight {weight.Shape} ([out, in])");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != weight.Shape[0]))
            throw new ArgumentException($"linear: bias {bias.Shape} does not match weight {weight.Shape}");
        // Leading dims fold into the GEMM's rows, so the weight is not broadcast over a batch.
        var flat = x.Rank == 2 ? x : x.Reshape(-1, x.Shape[^1]);
        var y = flat.MatMul(weight.T);
        if (bias is not null) y += bias;
        return x.Rank == 2 ? y : y.Reshape(new Shape([.. x.Shape.ToArray()[..^1], weight.Shape[0]]));
    }

    /// <summary>Qwen2RMSNorm over the last dim: weight ⊙ (x / sqrt(mean(x²) + eps)).</summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps) => RmsNormOp.Apply(x, weight, eps);

    /// <summary>LayerNorm over the last dim with the biased variance.</summary>
    public static Tensor LayerNorm(Tensor x, Tensor weight, Tensor bias, double eps) => LayerNormOp.Apply(x, weight, bias, eps);

    /// <summary>Rotate-half rotary embedding of x [..., T, D] with cos/sin broadcastable to x.</summary>
    public static Tensor Rotary(Tensor x, Tensor cos, Tensor sin) => RotaryOp.Apply(x, cos, sin);

    /// <summary>Inverted dropout with the counter-based mask of seed; the identity when not training or p = 0.</summary>
    public static Tensor Dropout(Tensor x, double p, ulong seed, bool training)
    {
        if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability {p} is outside [0, 1]");
        return !training || p == 0 ? x : DropoutOp.Apply(x, p, seed);
    }

    /// <summary>x with the elements where mask (Bool, broadcastable) is true replaced by value.</summary>
    public static Tensor MaskedFill(Tensor x, Tensor mask, double value) => x.MaskedFill(mask, value);
}
