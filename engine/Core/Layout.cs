namespace StyleAlign.Engine.Core;

/// <summary>
/// How a tensor's elements sit in its storage: shape, strides (in elements) and offset.
/// Every view (reshape, permute, narrow, expand) is a new Layout over the same storage.
/// </summary>
public sealed class Layout
{
    public Layout(Shape shape, long[] strides, long offset)
    {
        if (strides.Length != shape.Rank) throw new ArgumentException($"strides rank {strides.Length} != shape rank {shape.Rank}");
        Shape = shape;
        Strides = strides;
        Offset = offset;
    }

    public Shape Shape { get; }

    public long[] Strides { get; }

    public long Offset { get; }

    public int Rank => Shape.Rank;

    public static Layout Contiguous(Shape shape, long offset = 0) => new(shape, shape.ContiguousStrides(), offset);

    /// <summary>True when elements are in row-major order with no gaps (size-1 dims may have any stride).</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (var i = Rank - 1; i >= 0; i--)
            {
                if (Shape[i] == 1) continue;
                if (Strides[i] != expected) return false;
                expected *= Shape[i];
            }
            return true;
        }
    }

    public Layout Permute(params int[] perm)
    {
        if (perm.Length != Rank) throw new ArgumentException($"permutation of length {perm.Length} for rank {Rank}");
        var seen = new bool[Rank];
        var dims = new int[Rank];
        var strides = new long[Rank];
        for (var i = 0; i < Rank; i++)
        {
            var p = Shape.Axis(perm[i]);
            if (seen[p]) throw new ArgumentException($"permutation [{string.Join(", ", perm)}] repeats dim {p}");
            seen[p] = true;
            dims[i] = Shape[p];
            strides[i] = Strides[p];
        }
        return new Layout(new Shape(dims), strides, Offset);
    }

    public Layout Transpose(int dim0, int dim1)
    {
        var perm = Enumerable.Range(0, Rank).ToArray();
        var a = Shape.Axis(dim0);
        var b = Shape.Axis(dim1);
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(perm);
    }

    public Layout Narrow(int dim, int start, int length)
    {
        var d = Shape.Axis(dim);
        if (start < 0 || length < 0 || start + length > Shape[d])
            throw new ArgumentOutOfRangeException(nameof(start), $"narrow [{start}, {start + length}) outside dim {d} of size {Shape[d]}");
        var dims = Shape.ToArray();
        dims[d] = length;
        return new Layout(new Shape(dims), (long[])Strides.Clone(), Offset + start * Strides[d]);
    }

    /// <summary>A view with the new shape when the data allow it without a copy, else null.</summary>
    public Layout? TryReshape(Shape shape)
    {
        if (shape.NumElements != Shape.NumElements)
            throw new ArgumentException($"cannot reshape {Shape} ({Shape.NumElements} elements) to {shape} ({shape.NumElements} elements)");
        if (IsContiguous) return Contiguous(shape, Offset);
        return null;
    }

    /// <summary>Broadcasts size-1 dims (and missing leading dims) to the target shape with stride 0.</summary>
    public Layout Expand(Shape target)
    {
        if (target.Rank < Rank) throw new ArgumentException($"cannot expand {Shape} to lower rank {target}");
        var strides = new long[target.Rank];
        var lead = target.Rank - Rank;
        for (var i = 0; i < target.Rank; i++)
        {
            if (i < lead)
            {
                strides[i] = 0;
                continue;
            }
            var src = Shape[i - lead];
            if (src == target[i]) strides[i] = Strides[i - lead];
            else if (src == 1) strides[i] = 0;
            else throw new ArgumentException($"cannot expand {Shape} to {target}");
        }
        return new Layout(target, strides, Offset);
    }

    public Layout Unsqueeze(int dim)
    {
        var d = dim < 0 ? dim + Rank + 1 : dim;
        if (d < 0 || d > Rank) throw new ArgumentOutOfRangeException(nameof(dim), $"unsqueeze dim {dim} for rank {Rank}");
        var dims = Shape.ToArray().ToList();
        var strides = Strides.ToList();
        dims.Insert(d, 1);
        strides.Insert(d, d < Rank ? Strides[d] * Shape[d] : 1);
        return new Layout(new Shape(dims.ToArray()), strides.ToArray(), Offset);
    }

    public Layout Squeeze(int dim)
    {
        var d = Shape.Axis(dim);
        if (Shape[d] != 1) throw new ArgumentException($"cannot squeeze dim {d} of size {Shape[d]} in {Shape}");
        var dims = Shape.ToArray().ToList();
        var strides = Strides.ToList();
        dims.RemoveAt(d);
        strides.RemoveAt(d);
        return new Layout(new Shape(dims.ToArray()), strides.ToArray(), Offset);
    }

    /// <summary>Storage index of every element in row-major logical order.</summary>
    public long[] ElementOffsets()
    {
        var n = Shape.NumElements;
        var result = new long[n];
        if (n == 0) return result;
        if (IsContiguous)
        {
            for (long i = 0; i < n; i++) result[i] = Offset + i;
            return result;
        }
        var idx = new int[Rank];
        var off = Offset;
        for (long i = 0; i < n; i++)
        {
            result[i] = off;
            for (var d = Rank - 1; d >= 0; d--)
            {
                idx[d]++;
                off += Strides[d];
                if (idx[d] < Shape[d]) break;
                off -= Strides[d] * Shape[d];
                idx[d] = 0;
            }
        }
        return result;
    }

    public override string ToString() => $"Layout(shape={Shape}, strides=[{string.Join(", ", Strides)}], offset={Offset})";
}
