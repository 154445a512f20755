using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Autograd.Ops;

/// <summary>Reshape: a view when the data are contiguous, else a copy. The gradient is reshaped back.</summary>
public sealed class ReshapeOp : Op
{
    public static Tensor Apply(Tensor x, Shape shape)
    {
        var layout = x.Layout.TryReshape(shape);
        var y = layout is not null ? x.ViewAs(layout) : x.Backend.Contiguous(x).ViewAs(Layout.Contiguous(shape));
        return new ReshapeOp().Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor g) => [g.Reshape(Inputs[0].Shape)];
}

/// <summary>Permute dims (a view); the gradient is permuted back with the inverse permutation.</summary>
public sealed class PermuteOp : Op
{
    private int[] _perm = [];

    public static Tensor Apply(Tensor x, int[] perm)
    {
        var op = new PermuteOp { _perm = perm.Select(x.Shape.Axis).ToArray() };
        return op.Record(x.ViewAs(x.Layout.Permute(op._perm)), x);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var inverse = new int[_perm.Length];
        for (var i = 0; i < _perm.Length; i++) inverse[_perm[i]] = i;
        return [g.Permute(inverse)];
    }
}

/// <summary>A slice [start, start+length) of one dim (a view); the gradient is zero outside it.</summary>
public sealed class NarrowOp : Op
{
    private int _dim, _start, _length;

    public static Tensor Apply(Tensor x, int dim, int start, int length)
    {
        var op = new NarrowOp { _dim = x.Shape.Axis(dim), _start = start, _length = length };
        return op.Record(x.ViewAs(x.Layout.Narrow(op._dim, start, length)), x);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var full = Tensor.Zeros(Inputs[0].Shape, g.DType, g.Device);
        full.ViewAs(full.Layout.Narrow(_dim, _start, _length)).CopyFrom(g);
        return [full];
    }
}

/// <summary>Broadcast view to a larger shape (stride 0); the gradient is summed back.</summary>
public sealed class ExpandOp : Op
{
    public static Tensor Apply(Tensor x, Shape shape) => new ExpandOp().Record(x.ViewAs(x.Layout.Expand(shape)), x);

    protected internal override Tensor?[] Backward(Tensor g) => [SumToShape(g, Inputs[0].Shape)];
}

/// <summary>Dense copy in row-major order; the gradient passes through.</summary>
public sealed class ContiguousOp : Op
{
    public static Tensor Apply(Tensor x) => x.IsContiguous ? x : new ContiguousOp().Record(x.Backend.Contiguous(x), x);

    protected internal override Tensor?[] Backward(Tensor g) => [g];
}

/// <summary>Conversion between float dtypes; the gradient is cast back to the input's dtype.</summary>
public sealed class CastOp : Op
{
    public static Tensor Apply(Tensor x, DType dtype)
    {
        if (x.DType == dtype) return x;
        var y = x.Backend.Cast(x, dtype);
        return dtype.IsFloat() && x.DType.IsFloat() ? new CastOp().Record(y, x) : y;
    }

    protected internal override Tensor?[] Backward(Tensor g) => [g.Backend.Cast(g, Inputs[0].DType)];
}
