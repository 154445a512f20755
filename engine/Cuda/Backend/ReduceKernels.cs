using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cuda.Backend;

/// <summary>Launches kernels/reduce.cu: reductions and argmax over the last dim of a dense [rows, n] input, one block per row.</summary>
public sealed class ReduceKernels(IKernelLauncher launcher) : KernelFamily(launcher, "reduce")
{
    /// <summary>y[r] = op over x[r, :]; y is fp32 for sum, mean and logsumexp, x's storage type for max and min.</summary>
    public void LastDim(DType dtype, ReduceKernelOp op, long rows, long n, ulong x, ulong y) =>
        Launch($"reduce_lastdim_{FloatSuffix(dtype, "reduce")}", LaunchConfig.ForRows(rows, RowBlock),
            new KernelArgs().Int((int)op).Long(n).Pointer(x).Pointer(y));

    /// <summary>y[r] = the first index of the maximum of x[r, :] (I64).</summary>
    public void ArgMax(DType dtype, long rows, long n, ulong x, ulong y) =>
        Launch($"reduce_argmax_{FloatSuffix(dtype, "argmax")}", LaunchConfig.ForRows(rows, RowBlock),
            new KernelArgs().Long(n).Pointer(x).Pointer(y));
}
