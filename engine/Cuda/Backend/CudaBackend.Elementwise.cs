using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cuda.Backend;

public sealed partial class CudaBackend
{
    public Tensor Unary(UnaryKind kind, Tensor x, double alpha = 0)
    {
        KernelFamily.FloatSuffix(x.DType, "unary");
        using var scratch = new Scratch(this);
        var xd = scratch.Dense(x);
        var y = NewTensor(x.Shape, x.DType);
        if (x.NumElements > 0) _tensor.UnaryForward(x.DType, kind, x.NumElements, Address(xd), Address(y), (float)alpha);
        return y;
    }

    public Tensor UnaryBackward(UnaryKind kind, Tensor x, Tensor gradY, double alpha)
    {
        if (x.Shape != gradY.Shape || x.DType != gradY.DType)
            throw new ArgumentException($"unary {kind} backward: gradient {gradY.Shape} {gradY.DType} does not match input {x.Shape} {x.DType}");
        KernelFamily.FloatSuffix(x.DType, "unary backward");
        using var scratch = new Scratch(this);
        var xd = scratch.Dense(x);
        var gd = scratch.Dense(gradY);
        var dx = NewTensor(x.Shape, x.DType);
        if (x.NumElements > 0) _tensor.UnaryBackward(x.DType, kind, x.NumElements, Address(xd), Address(gd), Address(dx), (float)alpha);
        return dx;
    }

    public Tensor Binary(BinaryKind kind, Tensor a, Tensor b)
    {
        if (a.DType != b.DType) throw new ArgumentException($"binary {kind} of {a.DType} and {b.DType}: cast one first");
        var shape = Shape.Broadcast(a.Shape, b.Shape);
        var comparison = kind.IsComparison();
        KernelFamily.FloatSuffix(a.DType, comparison ? "comparison" : "binary");
        var y = NewTensor(shape, comparison ? DType.Bool : a.DType);
        var n = shape.NumElements;
        if (n == 0) return y;
        var (dims, strides) = StridedPlan.Coalesce(shape.ToArray(), a.Layout.Expand(shape).Strides, b.Layout.Expand(shape).Strides);
        var aLayout = StridedPlan.Argument(dims, strides[0], $"binary {kind}");
        var bLayout = StridedPlan.Argument(dims, strides[1], $"binary {kind}");
        if (comparison) _elementwise.Compare(a.DType, CompareOp(kind), n, Address(a), aLayout, Address(b), bLayout, Address(y));
        else _elementwise.Binary(a.DType, BinaryOp(kind), n, Address(a), aLayout, Address(b), bLayout, Address(y));
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
        KernelFamily.FloatSuffix(x.DType, "clamp");
        using var scratch = new Scratch(this);
        var xd = scratch.Dense(x);
        var y = NewTensor(x.Shape, x.DType);
        if (x.NumElements > 0) _tensor.Clamp(x.DType, x.NumElements, Address(xd), Address(y), (float)min, (float)max);
        return y;
    }

    public Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        if (condition.DType is not (DType.Bool or DType.U8)) throw new ArgumentException($"where() needs a Bool condition, got {condition.DType}");
        if (a.DType != b.DType) throw new ArgumentException($"where() of {a.DType} and {b.DType}");
        KernelFamily.FloatSuffix(a.DType, "where");
        var shape = Shape.Broadcast(Shape.Broadcast(condition.Shape, a.Shape), b.Shape);
        var y = NewTensor(shape, a.DType);
        var n = shape.NumElements;
        if (n == 0) return y;
        var (dims, strides) = StridedPlan.Coalesce(shape.ToArray(),
            condition.Layout.Expand(shape).Strides, a.Layout.Expand(shape).Strides, b.Layout.Expand(shape).Strides);
        _elementwise.Where(a.DType, n, Address(condition), StridedPlan.Argument(dims, strides[0], "where"),
            Address(a), StridedPlan.Argument(dims, strides[1], "where"), Address(b), StridedPlan.Argument(dims, strides[2], "where"), Address(y));
        return y;
    }
}
