using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cuda.Backend;

public sealed partial class CudaBackend
{
    public Tensor Unary(UnaryKind kind, Tensor x, double alpha = 0)
    {
        var kernel = CudaKernelNames.UnaryForward(x.DType);
        using var scratch = new Scratch(this);
        var xd = scratch.Dense(x);
        var y = NewTensor(x.Shape, x.DType);
        if (x.NumElements > 0)
            Launch(kernel, LaunchConfig.ForElements(x.NumElements),
                new KernelArgs().Int((int)kind).Long(x.NumElements).Pointer(Address(xd)).Pointer(Address(y)).Float((float)alpha));
        return y;
    }

    public Tensor UnaryBackward(UnaryKind kind, Tensor x, Tensor gradY, double alpha)
    {
        if (x.Shape != gradY.Shape || x.DType != gradY.DType)
            throw new ArgumentException($"unary {kind} backward: gradient {gradY.Shape} {gradY.DType} does not match input {x.Shape} {x.DType}");
        var kernel = CudaKernelNames.UnaryBackward(x.DType);
        using var scratch = new Scratch(this);
        var xd = scratch.Dense(x);
        var gd = scratch.Dense(gradY);
        var dx = NewTensor(x.Shape, x.DType);
        if (x.NumElements > 0)
            Launch(kernel, LaunchConfig.ForElements(x.NumElements),
                new KernelArgs().Int((int)kind).Long(x.NumElements).Pointer(Address(xd)).Pointer(Address(gd)).Pointer(Address(dx)).Float((float)alpha));
        return dx;
    }

    public Tensor Binary(BinaryKind kind, Tensor a, Tensor b)
    {
        if (a.DType != b.DType) throw new ArgumentException($"binary {kind} of {a.DType} and {b.DType}: cast one first");
        var shape = Shape.Broadcast(a.Shape, b.Shape);
        var comparison = kind.IsComparison();
        var kernel = comparison ? CudaKernelNames.Compare(a.DType) : CudaKernelNames.Binary(a.DType);
        var y = NewTensor(shape, comparison ? DType.Bool : a.DType);
        var n = shape.NumElements;
        if (n == 0) return y;
        var (dims, strides) = StridedPlan.Coalesce(shape.ToArray(), a.Layout.Expand(shape).Strides, b.Layout.Expand(shape).Strides);
        var op = comparison ? (int)CompareOp(kind) : (int)BinaryOp(kind);
        Launch(kernel, LaunchConfig.ForElements(n), new KernelArgs().Int(op).Long(n)
            .Pointer(Address(a)).Value(StridedPlan.Argument(dims, strides[0], $"binary {kind}"))
            .Pointer(Address(b)).Value(StridedPlan.Argument(dims, strides[1], $"binary {kind}"))
            .Pointer(Address(y)));
        return y;
    }

    public static BinaryKernelOp BinaryOp(BinaryKind kind) => kind switch
    {
        BinaryKind.Add => BinaryKernelOp.Add,
        BinaryKind.Sub => BinaryKernelOp.Sub,
        BinaryKind.Mul => BinaryKernelOp.Mul,
        BinaryKind.Div => BinaryKernelOp.Div,
        BinaryKind.Maximum => BinaryKernelOp.Maximum,
        BinaryKind.Minimum => BinaryKernelOp.Minimum,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), $"{kind} is a comparison"),
    };

    public static CompareKernelOp CompareOp(BinaryKind kind) => kind switch
    {
        BinaryKind.Equal => CompareKernelOp.Eq,
        BinaryKind.NotEqual => CompareKernelOp.Ne,
        BinaryKind.Less => CompareKernelOp.Lt,
        BinaryKind.LessEqual => CompareKernelOp.Le,
        BinaryKind.Greater => CompareKernelOp.Gt,
        BinaryKind.GreaterEqual => CompareKernelOp.Ge,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), $"{kind} is not a comparison"),
    };

    public Tensor Clamp(Tensor x, double min, double max)
    {
        if (min > max) throw new ArgumentException($"clamp: min {min} is greater than max {max}");
        var kernel = CudaKernelNames.Clamp(x.DType);
        using var scratch = new Scratch(this);
        var xd = scratch.Dense(x);
        var y = NewTensor(x.Shape, x.DType);
        if (x.NumElements > 0)
            Launch(kernel, LaunchConfig.ForElements(x.NumElements),
                new KernelArgs().Long(x.NumElements).Pointer(Address(xd)).Pointer(Address(y)).Float((float)min).Float((float)max));
        return y;
    }

    public Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        if (condition.DType is not (DType.Bool or DType.U8)) throw new ArgumentException($"where() needs a Bool condition, got {condition.DType}");
        if (a.DType != b.DType) throw new ArgumentException($"where() of {a.DType} and {b.DType}");
        var kernel = CudaKernelNames.Where(a.DType);
        var shape = Shape.Broadcast(Shape.Broadcast(condition.Shape, a.Shape), b.Shape);
        var y = NewTensor(shape, a.DType);
        var n = shape.NumElements;
        if (n == 0) return y;
        var (dims, strides) = StridedPlan.Coalesce(shape.ToArray(),
            condition.Layout.Expand(shape).Strides, a.Layout.Expand(shape).Strides, b.Layout.Expand(shape).Strides);
        Launch(kernel, LaunchConfig.ForElements(n), new KernelArgs().Long(n)
            .Pointer(Address(condition)).Value(StridedPlan.Argument(dims, strides[0], "where"))
            .Pointer(Address(a)).Value(StridedPlan.Argument(dims, strides[1], "where"))
            .Pointer(Address(b)).Value(StridedPlan.Argument(dims, strides[2], "where"))
            .Pointer(Address(y)));
        return y;
    }
}
