namespace StyleAlign.Engine.Core;

/// <summary>
/// The primitive surface every device implements over (Storage, Layout). Inputs may be any strided view;
/// outputs are new contiguous tensors on the same device. Float ops run on F32 and F64 (and BF16 storage on
/// devices that support it, with fp32 math). No method records autograd history: the op classes do that.
/// </summary>
public interface IBackend
{
    Device Device { get; }

    /// <summary>A zero-filled storage of count elements.</summary>
    Storage Allocate(DType dtype, long count);

    /// <summary>Copies a host array (of the dtype's host type) into new storage.</summary>
    Storage Upload(Array host, DType dtype);

    /// <summary>The tensor's elements in logical row-major order, as a host array of its dtype's host type.</summary>
    Array Download(Tensor x);

    Tensor Contiguous(Tensor x);

    Tensor Cast(Tensor x, DType dtype);

    Tensor Fill(Shape shape, DType dtype, double value);

    /// <summary>Writes src into the (possibly strided) view dst, element by element.</summary>
    void CopyInto(Tensor dst, Tensor src);

    Tensor Unary(UnaryKind kind, Tensor x, double alpha = 0);

    /// <summary>gradY · f'(x) for the unary function f, in one pass.</summary>
    Tensor UnaryBackward(UnaryKind kind, Tensor x, Tensor gradY, double alpha);

    Tensor Binary(BinaryKind kind, Tensor a, Tensor b);

    Tensor Clamp(Tensor x, double min, double max);

    /// <summary>cond ? a : b with broadcasting; cond is Bool.</summary>
    Tensor Where(Tensor condition, Tensor a, Tensor b);

    /// <summary>Reduces over the given (normalized, distinct) dims.</summary>
    Tensor Reduce(ReduceKind kind, Tensor x, int[] dims, bool keepDim);

    /// <summary>Index (I64) of the first maximum along dim.</summary>
    Tensor ArgMax(Tensor x, int dim, bool keepDim);

    Tensor Softmax(Tensor x, int dim, bool log);

    /// <summary>Gradient of (log-)softmax given its output y and the output gradient.</summary>
    Tensor SoftmaxBackward(Tensor y, Tensor gradY, int dim, bool log);

    /// <summary>[..., M, K] × [..., K, N] with broadcast batch dims; transposed views are used without copies.</summary>
    Tensor MatMul(Tensor a, Tensor b);

    Tensor Cat(IReadOnlyList<Tensor> xs, int dim);

    /// <summary>Rows of x along dim picked by the I64/I32 index vector.</summary>
    Tensor IndexSelect(Tensor x, int dim, Tensor index);

    /// <summary>target + (src added at index along dim); index is a vector into target's dim.</summary>
    Tensor IndexAdd(Tensor target, int dim, Tensor index, Tensor src);

    /// <summary>out[i][j] = x[i][index[i][j]] along dim (torch.gather).</summary>
    Tensor Gather(Tensor x, int dim, Tensor index);

    /// <summary>target with src[i][j] added at target[i][index[i][j]] along dim (torch.scatter_add).</summary>
    Tensor ScatterAdd(Tensor target, int dim, Tensor index, Tensor src);

    /// <summary>RMSNorm over the last dim: y = (x·rstd) cast to x's dtype, times weight. Returns y and rstd (fp32, [rows]).</summary>
    (Tensor Output, Tensor InvRms) RmsNorm(Tensor x, Tensor weight, double eps);

    (Tensor GradX, Tensor GradWeight) RmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor gradY);

    /// <summary>LayerNorm over the last dim (biased variance). Returns y, mean and rstd ([rows]).</summary>
    (Tensor Output, Tensor Mean, Tensor InvStd) LayerNorm(Tensor x, Tensor weight, Tensor bias, double eps);

    (Tensor GradX, Tensor GradWeight, Tensor GradBias) LayerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor gradY);

    /// <summary>
    /// Rotate-half rotary embedding on x [..., T, D] with cos/sin broadcastable to [..., T, D]:
    /// y = x·cos + rotate_half(x)·sin (inverse = true applies the transpose rotation, used by backward).
    /// </summary>
    Tensor Rotary(Tensor x, Tensor cos, Tensor sin, bool inverse);

    /// <summary>Bool mask, true where an element is kept: counter-based hash of (seed, element index) ≥ p.</summary>
    Tensor DropoutMask(Shape shape, double p, ulong seed);

    /// <summary>One fused AdamW update of param (in place) with fp32 moments m, v (in place).</summary>
    void AdamWStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWStepArgs args);

    /// <summary>Σx² over every element of a float tensor (the global gradient norm's terms).</summary>
    double SumOfSquares(Tensor x)
    {
        using var squared = Unary(UnaryKind.Square, x);
        using var sum = Reduce(ReduceKind.Sum, squared, Enumerable.Range(0, x.Rank).ToArray(), keepDim: false);
        return sum.Item();
    }

    /// <summary>x ← alpha·x in place (gradient clipping).</summary>
    void ScaleInPlace(Tensor x, double alpha)
    {
        using var scaled = Unary(UnaryKind.Scale, x, alpha);
        CopyInto(x, scaled);
    }
}

/// <summary>Scalars of one AdamW step; bias corrections are precomputed by the optimizer.</summary>
public readonly record struct AdamWStepArgs(
    double LearningRate,
    double Beta1,
    double Beta2,
    double Epsilon,
    double WeightDecay,
    double BiasCorrection1,
    double BiasCorrection2);
