using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cuda.Backend;

/// <summary>
/// Launches kernels/norms.cu: RMSNorm and LayerNorm over the last dim of a dense [rows, c] input (one block per row,
/// fp32 statistics [rows]), and the two deterministic passes of the weight and bias gradients: partial sums per
/// chunk of rows, then the chunks added in order.
/// </summary>
public sealed class NormsKernels(IKernelLauncher launcher) : KernelFamily(launcher, "norms")
{
    public void RmsNormForward(DType dtype, long rows, long c, ulong x, ulong weight, float eps, ulong y, ulong invRms) =>
        Launch($"rmsnorm_fwd_{FloatSuffix(dtype, "rmsnorm")}", LaunchConfig.ForRows(rows, RowBlock),
            new KernelArgs().Long(c).Pointer(x).Pointer(weight).Float(eps).Pointer(y).Pointer(invRms));

    public void RmsNormBackward(DType dtype, long rows, long c, ulong x, ulong weight, ulong invRms, ulong gradY, ulong gradX) =>
        Launch($"rmsnorm_bwd_{FloatSuffix(dtype, "rmsnorm backward")}", LaunchConfig.ForRows(rows, RowBlock),
            new KernelArgs().Long(c).Pointer(x).Pointer(weight).Pointer(invRms).Pointer(gradY).Pointer(gradX));

    public void LayerNormForward(DType dtype, long rows, long c, ulong x, ulong weight, ulong bias, float eps, ulong y, ulong mean, ulong invStd) =>
        Launch($"layernorm_fwd_{FloatSuffix(dtype, "layernorm")}", LaunchConfig.ForRows(rows, RowBlock),
            new KernelArgs().Long(c).Pointer(x).Pointer(weight).Pointer(bias).Float(eps).Pointer(y).Pointer(mean).Pointer(invStd));

    public void LayerNormBackward(DType dtype, long rows, long c, ulong x, ulong weight, ulong mean, ulong invStd, ulong gradY, ulong gradX) =>
        Launch($"layernorm_bwd_{FloatSuffix(dtype, "layernorm backward")}", LaunchConfig.ForRows(rows, RowBlock),
            new KernelArgs().Long(c).Pointer(x).Pointer(weight).Pointer(mean).Pointer(invStd).Pointer(gradY).Pointer(gradX));

    /// <summary>
    /// fp32 partial sums [chunks, c] of dy·x̂ (and of dy when partialBias is non-zero) over chunks of rowsPerChunk
    /// rows; mean 0 means RMSNorm (no centring).
    /// </summary>
    public void ParamGradPartial(DType dtype, long rows, long c, long rowsPerChunk, long chunks, ulong x, ulong mean, ulong invStd, ulong gradY, ulong partialWeight, ulong partialBias) =>
        Launch($"norms_param_grad_partial_{FloatSuffix(dtype, "norm backward")}", new LaunchConfig(new Dim3(ColumnBlocks(c), (uint)chunks), new Dim3(RowBlock)),
            new KernelArgs().Long(rows).Long(c).Long(rowsPerChunk).Pointer(x).Pointer(mean).Pointer(invStd).Pointer(gradY).Pointer(partialWeight).Pointer(partialBias));

    /// <summary>output[j] = Σ over the chunks of partials[chunk, j], added in chunk order and rounded once to dtype.</summary>
    public void SumPartials(DType dtype, long chunks, long c, ulong partials, ulong output) =>
        Launch($"norms_sum_partials_{FloatSuffix(dtype, "norm backward")}", new LaunchConfig(new Dim3(ColumnBlocks(c)), new Dim3(RowBlock)),
            new KernelArgs().Long(chunks).Long(c).Pointer(partials).Pointer(output));

    private static uint ColumnBlocks(long c) => (uint)((c + RowBlock - 1) / RowBlock);
}
