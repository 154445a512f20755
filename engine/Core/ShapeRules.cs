namespace StyleAlign.Engine.Core;

/// <summary>Shape checks every backend shares, so each device reports the same errors.</summary>
public static class ShapeRules
{
    /// <summary>Validates a concatenation and returns the normalized dim and the output shape.</summary>
    public static (int Dim, Shape Shape) Cat(IReadOnlyList<Tensor> xs, int dim)
    {
        if (xs.Count == 0) throw new ArgumentException("cat of an empty list");
        var first = xs[0];
        var d = first.Shape.Axis(dim);
        var total = 0;
        foreach (var x in xs)
        {
            x.ThrowIfDisposed();
            if (x.DType != first.DType) throw new ArgumentException($"cat of {first.DType} and {x.DType}");
            if (x.Rank != first.Rank) throw new ArgumentException($"cat of shapes {first.Shape} and {x.Shape} (ranks differ)");
            for (var i = 0; i < x.Rank; i++)
                if (i != d && x.Shape[i] != first.Shape[i]) throw new ArgumentException($"cat along dim {d} of shapes {first.Shape} and {x.Shape}");
            total += x.Shape[d];
        }
        var dims = first.Shape.ToArray();
        dims[d] = total;
        return (d, new Shape(dims));
    }
}
