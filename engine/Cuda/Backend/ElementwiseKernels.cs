using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cuda.Backend;

/// <summary>
/// Launches kernels/elementwise.cu: broadcasting binary ops, comparisons (u8 out) and where, each input read through
/// its own strided layout into a dense output of n elements. Op codes mirror the enums at the top of the source.
/// </summary>
public sealed class ElementwiseKernels(IKernelLauncher launcher) : KernelFamily(launcher, "elementwise")
{
    public void Binary(DType dtype, BinaryKernelOp op, long n, ulong a, StridedLayoutArg aLayout, ulong b, StridedLayoutArg bLayout, ulong y) =>
        Launch($"elementwise_binary_strided_{FloatSuffix(dtype, "binary")}", LaunchConfig.ForElements(n),
            new KernelArgs().Int((int)op).Long(n).Pointer(a).Value(aLayout).Pointer(b).Value(bLayout).Pointer(y));

    public void Compare(DType dtype, CompareKernelOp op, long n, ulong a, StridedLayoutArg aLayout, ulong b, StridedLayoutArg bLayout, ulong y) =>
        Launch($"elementwise_compare_{FloatSuffix(dtype, "comparison")}", LaunchConfig.ForElements(n),
            new KernelArgs().Int((int)op).Long(n).Pointer(a).Value(aLayout).Pointer(b).Value(bLayout).Pointer(y));

    public void Where(DType dtype, long n, ulong condition, StridedLayoutArg conditionLayout, ulong a, StridedLayoutArg aLayout, ulong b, StridedLayoutArg bLayout, ulong y) =>
        Launch($"elementwise_where_{FloatSuffix(dtype, "where")}", LaunchConfig.ForElements(n),
            new KernelArgs().Long(n).Pointer(condition).Value(conditionLayout).Pointer(a).Value(aLayout).Pointer(b).Value(bLayout).Pointer(y));
}
