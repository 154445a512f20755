using StyleAlign.Engine.Autograd.Ops;

namespace StyleAlign.Engine.Core;

public sealed partial class Tensor
{
    /// <summary>A raw view over the same storage with another layout; records no history (backends use it).</summary>
    internal Tensor ViewAs(Layout layout)
    {
        ThrowIfDisposed();
        return new Tensor(Storage, layout, retain: true);
    }

    /// <summary>Reshape; one dim may be -1 and is inferred. A view when the data are contiguous.</summary>
    public Tensor Reshape(params int[] dims) => Reshape(InferShape(dims));

    public Tensor Reshape(Shape shape) => shape == Shape ? this : ReshapeOp.Apply(this, shape);

    public Tensor Flatten() => Reshape((int)NumElements);

    public Tensor Permute(params int[] perm) => PermuteOp.Apply(this, perm);

    public Tensor Transpose(int dim0, int dim1) => Shape.Axis(dim0) == Shape.Axis(dim1) ? this : PermuteOp.Apply(this, TransposePerm(dim0, dim1));

    /// <summary>Swaps the last two dims.</summary>
    public Tensor T => Transpose(-2, -1);

    public Tensor Narrow(int dim, int start, int length) => NarrowOp.Apply(this, dim, start, length);

    public Tensor Expand(Shape shape) => shape == Shape ? this : ExpandOp.Apply(this, shape);

    public Tensor Unsqueeze(int dim)
    {
        var d = dim < 0 ? dim + Rank + 1 : dim;
        var dims = Shape.ToArray().ToList();
        dims.Insert(d, 1);
        return Reshape(new Shape(dims.ToArray()));
    }

    public Tensor Squeeze(int dim)
    {
        var d = Shape.Axis(dim);
        if (Shape[d] != 1) throw new ArgumentException($"cannot squeeze dim {d} of size {Shape[d]} in {Shape}");
        var dims = Shape.ToArray().ToList();
        dims.RemoveAt(d);
        return Reshape(new Shape(dims.ToArray()));
    }

    public Tensor Contiguous() => ContiguousOp.Apply(this);

    /// <summary>A dense copy that shares nothing with this tensor and carries no history.</summary>
    public Tensor Clone()
    {
        ThrowIfDisposed();
        return Backend.Contiguous(this);
    }

    private int[] TransposePerm(int dim0, int dim1)
    {
        var perm = Enumerable.Range(0, Rank).ToArray();
        var a = Shape.Axis(dim0);
        var b = Shape.Axis(dim1);
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return perm;
    }

    private Shape InferShape(int[] dims)
    {
        var unknown = Array.IndexOf(dims, -1);
        if (unknown < 0) return new Shape(dims);
        long known = 1;
        for (var i = 0; i < dims.Length; i++)
            if (i != unknown) known *= dims[i];
        if (known == 0 || NumElements % known != 0) throw new ArgumentException($"cannot reshape {Shape} to [{string.Join(", ", dims)}]");
        var result = (int[])dims.Clone();
        result[unknown] = (int)(NumElements / known);
        return new Shape(result);
    }
}
