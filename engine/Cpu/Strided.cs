using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cpu;

/// <summary>Row-by-row walks over strided layouts: the last dim is the inner loop, the others an odometer.</summary>
internal static class Strided
{
    /// <summary>Storage offset of the start of each row (all dims but the last) in row-major order.</summary>
    public static long[] RowOffsets(Layout layout)
    {
        var rank = layout.Rank;
        if (rank == 0) return [layout.Offset];
        long rows = 1;
        for (var d = 0; d < rank - 1; d++) rows *= layout.Shape[d];
        var result = new long[rows];
        if (rows == 0) return result;
        var idx = new int[Math.Max(rank - 1, 0)];
        var off = layout.Offset;
        for (long r = 0; r < rows; r++)
        {
            result[r] = off;
            for (var d = rank - 2; d >= 0; d--)
            {
                idx[d]++;
                off += layout.Strides[d];
                if (idx[d] < layout.Shape[d]) break;
                off -= layout.Strides[d] * layout.Shape[d];
                idx[d] = 0;
            }
        }
        return result;
    }

    public static int InnerLength(Layout layout) => layout.Rank == 0 ? 1 : layout.Shape[^1];

    public static long InnerStride(Layout layout) => layout.Rank == 0 ? 1 : layout.Strides[^1];

    /// <summary>Copies the elements of a strided view into dst in logical row-major order.</summary>
    public static void Gather<T>(CpuBuffer<T> src, Layout layout, Span<T> dst)
        where T : unmanaged
    {
        if (layout.IsContiguous)
        {
            src.AsSpan(layout.Offset, (int)layout.Shape.NumElements).CopyTo(dst);
            return;
        }
        var n = InnerLength(layout);
        var s = InnerStride(layout);
        var rows = RowOffsets(layout);
        var o = 0;
        foreach (var start in rows)
        {
            if (s == 1) src.AsSpan(start, n).CopyTo(dst.Slice(o, n));
            else
                for (var j = 0; j < n; j++) dst[o + j] = src[start + j * s];
            o += n;
        }
    }

    /// <summary>Writes src (logical row-major order) into a strided view of dst.</summary>
    public static void Scatter<T>(ReadOnlySpan<T> src, CpuBuffer<T> dst, Layout layout)
        where T : unmanaged
    {
        if (layout.IsContiguous)
        {
            src.CopyTo(dst.AsSpan(layout.Offset, (int)layout.Shape.NumElements));
            return;
        }
        var n = InnerLength(layout);
        var s = InnerStride(layout);
        var rows = RowOffsets(layout);
        var o = 0;
        foreach (var start in rows)
        {
            for (var j = 0; j < n; j++) dst[start + j * s] = src[o + j];
            o += n;
        }
    }

    /// <summary>Every element of the tensor's storage, to be read through its layout's offsets and strides.</summary>
    public static CpuBuffer<T> Elements<T>(Tensor x)
        where T : unmanaged
    {
        x.ThrowIfDisposed();
        return x.CpuStorage().Buffer<T>();
    }

    /// <summary>
    /// The view's elements in row-major order: the storage itself when the view is contiguous, otherwise a dense copy
    /// that the returned buffer owns (dispose it).
    /// </summary>
    public static CpuBuffer<T> Dense<T>(Tensor x)
        where T : unmanaged
    {
        var data = Elements<T>(x);
        var n = checked((int)x.NumElements);
        if (x.IsContiguous) return data.Slice(x.Layout.Offset, n);
        var copy = new CpuStorage(x.DType, n, zero: false);
        var result = copy.Buffer<T>();
        Gather(data, x.Layout, result);
        return result.Owning(copy);
    }
}
