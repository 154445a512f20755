using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cuda.Backend;

/// <summary>Launches kernels/softmax.cu: (log-)softmax over the last dim of a dense [rows, n] input and its backward, one block per row.</summary>
public sealed class SoftmaxKernels(IKernelLauncher launcher) : KernelFamily(launcher, "softmax")
{
    public void Forward(DType dtype, bool log, long rows, long n, ulong x, ulong y) =>
        Launch(Name(dtype, log, "fwd"), LaunchConfig.ForRows(rows, RowBlock), new KernelArgs().Long(n).Pointer(x).Pointer(y));

    /// <summary>dx from the forward output y and its gradient dy.</summary>
    public void Backward(DType dtype, bool log, long rows, long n, ulong y, ulong gradY, ulong gradX) =>
        Launch(Name(dtype, log, "bwd"), LaunchConfig.ForRows(rows, RowBlock), new KernelArgs().Long(n).Pointer(y).Pointer(gradY).Pointer(gradX));

    private static string Name(DType dtype, bool log, string pass) => $"softmax_{(log ? "log_" : "")}{pass}_{FloatSuffix(dtype, "softmax")}";
}
