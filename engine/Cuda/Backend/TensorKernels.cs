using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cuda.Backend;

/// <summary>
/// Launches kernels/tensor.cu: unary functions and their derivatives (op codes are <see cref="UnaryKind"/>'s
/// values), clamp, fill and strided copy by element width, and casts. All grid-stride over n elements.
/// </summary>
public sealed class TensorKernels(IKernelLauncher launcher) : KernelFamily(launcher, "tensor")
{
    public void UnaryForward(DType dtype, UnaryKind kind, long n, ulong x, ulong y, float alpha) =>
        Launch($"tensor_unary_fwd_{FloatSuffix(dtype, "unary")}", LaunchConfig.ForElements(n),
            new KernelArgs().Int((int)kind).Long(n).Pointer(x).Pointer(y).Float(alpha));

    public void UnaryBackward(DType dtype, UnaryKind kind, long n, ulong x, ulong gradY, ulong gradX, float alpha) =>
        Launch($"tensor_unary_bwd_{FloatSuffix(dtype, "unary backward")}", LaunchConfig.ForElements(n),
            new KernelArgs().Int((int)kind).Long(n).Pointer(x).Pointer(gradY).Pointer(gradX).Float(alpha));

    public void Clamp(DType dtype, long n, ulong x, ulong y, float min, float max) =>
        Launch($"tensor_clamp_{FloatSuffix(dtype, "clamp")}", LaunchConfig.ForElements(n),
            new KernelArgs().Long(n).Pointer(x).Pointer(y).Float(min).Float(max));

    /// <summary>Writes the same storage bits (zero-extended to 64) into n elements of dtype's width.</summary>
    public void Fill(DType dtype, long n, ulong y, ulong bits) =>
        Launch($"tensor_fill_b{dtype.SizeOf()}", LaunchConfig.ForElements(n), new KernelArgs().Long(n).Pointer(y).ULong(bits));

    /// <summary>y[offset_y(i)] = x[offset_x(i)] for n elements of dtype's width, both sides through strided layouts.</summary>
    public void Copy(DType dtype, long n, ulong x, StridedLayoutArg xLayout, ulong y, StridedLayoutArg yLayout) =>
        Launch($"tensor_copy_b{dtype.SizeOf()}", LaunchConfig.ForElements(n),
            new KernelArgs().Long(n).Pointer(x).Value(xLayout).Pointer(y).Value(yLayout));

    public void Cast(DType from, DType to, long n, ulong x, ulong y) =>
        Launch(CastName(from, to), LaunchConfig.ForElements(n), new KernelArgs().Long(n).Pointer(x).Pointer(y));

    /// <summary>The entry point casting from → to; throws for a pair the kernels do not cover (equal types are a copy).</summary>
    public static string CastName(DType from, DType to)
    {
        var name = $"tensor_cast_{CastSuffix(from, destination: false)}_{CastSuffix(to, destination: true)}";
        if (from == to) throw new ArgumentException($"a cast from {from} to itself is a copy, not a tensor.cu kernel");
        return name;
    }

    /// <summary>The kernel-name suffix of a dtype the cast kernels take; a Bool source is read as its u8 storage.</summary>
    private static string CastSuffix(DType dtype, bool destination) => dtype switch
    {
        DType.Bool when destination => "bool",
        DType.F32 => "f32",
        DType.BF16 => "bf16",
        DType.I32 => "i32",
        DType.I64 => "i64",
        DType.U8 or DType.Bool => "u8",
        _ => throw new NotSupportedException($"cast on CUDA supports F32, BF16, I32, I64, U8 and Bool, not {dtype}"),
    };
}
