using System.Collections;

namespace StyleAlign.Engine.Core;

/// <summary>Immutable list of dimension sizes, row-major (last index fastest).</summary>
public sealed class Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly int[] _dims;

    public Shape(params int[] dims)
    {
        foreach (var d in dims)
            if (d < 0) throw new ArgumentException($"negative dimension in shape [{string.Join(", ", dims)}]");
        _dims = (int[])dims.Clone();
    }

    public static readonly Shape Scalar = new();

    public static implicit operator Shape(int[] dims) => new(dims);

    public int Rank => _dims.Length;

    public int Count => _dims.Length;

    public int this[int dim] => _dims[dim < 0 ? dim + _dims.Length : dim];

    public long NumElements
    {
        get
        {
            long n = 1;
            foreach (var d in _dims) n *= d;
            return n;
        }
    }

    public int[] ToArray() => (int[])_dims.Clone();

    internal ReadOnlySpan<int> Span => _dims;

    /// <summary>Normalizes a possibly negative dimension index and checks its range.</summary>
    public int Axis(int dim)
    {
        var d = dim < 0 ? dim + _dims.Length : dim;
        if (d < 0 || d >= _dims.Length) throw new ArgumentOutOfRangeException(nameof(dim), $"dim {dim} is out of range for shape {this}");
        return d;
    }

    /// <summary>Row-major strides of a contiguous tensor of this shape.</summary>
    public long[] ContiguousStrides()
    {
        var strides = new long[_dims.Length];
        long s = 1;
        for (var i = _dims.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= _dims[i];
        }
        return strides;
    }

    /// <summary>NumPy broadcasting of two shapes.</summary>
    public static Shape Broadcast(Shape a, Shape b)
    {
        var rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (var i = 0; i < rank; i++)
        {
            var da = i - (rank - a.Rank) >= 0 ? a._dims[i - (rank - a.Rank)] : 1;
            var db = i - (rank - b.Rank) >= 0 ? b._dims[i - (rank - b.Rank)] : 1;
            if (da != db && da != 1 && db != 1) throw new ArgumentException($"shapes {a} and {b} do not broadcast");
            dims[i] = da == 1 ? db : da;
        }
        return new Shape(dims);
    }

    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);

    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in _dims) h.Add(d);
        return h.ToHashCode();
    }

    public static bool operator ==(Shape? a, Shape? b) => a is null ? b is null : a.Equals(b);

    public static bool operator !=(Shape? a, Shape? b) => !(a == b);

    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)_dims).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _dims.GetEnumerator();

    public override string ToString() => $"[{string.Join(", ", _dims)}]";
}
