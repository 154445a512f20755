using System.Numerics;
using System.Numerics.Tensors;
using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cpu;

// Concatenation and index-driven copies. A tensor is viewed as [outer, n, inner] around the indexed dim, so
// the inner block is a contiguous span that TensorPrimitives can add or copy in one call.
public sealed partial class CpuBackend
{
    public Tensor Cat(IReadOnlyList<Tensor> xs, int dim)
    {
        var (d, shape) = ShapeRules.Cat(xs, dim);
        var first = xs[0];
        return DispatchAny(first.DType, new CatKernel(xs, d, shape));
    }

    public Tensor IndexSelect(Tensor x, int dim, Tensor index)
    {
        x.ThrowIfDisposed();
        var d = x.Shape.Axis(dim);
        var idx = ReadIndexVector(index, x.Shape[d], "index_select");
        var dims = x.Shape.ToArray();
        dims[d] = idx.Length;
        return DispatchAny(x.DType, new IndexSelectKernel(x, d, idx, new Shape(dims)));
    }

    public Tensor IndexAdd(Tensor target, int dim, Tensor index, Tensor src)
    {
        RequireFloat(target, "index_add");
        RequireFloat(src, "index_add");
        if (target.DType != src.DType) throw new ArgumentException($"index_add of {src.DType} into {target.DType}");
        var d = target.Shape.Axis(dim);
        var idx = ReadIndexVector(index, target.Shape[d], "index_add");
        var expected = target.Shape.ToArray();
        expected[d] = idx.Length;
        if (src.Shape != new Shape(expected)) throw new ArgumentException($"index_add: src has shape {src.Shape}, expected {new Shape(expected)} (target {target.Shape}, {idx.Length} indices along dim {d})");
        return target.DType == DType.F32
            ? IndexAddImpl<float>(target, src, d, idx)
            : IndexAddImpl<double>(target, src, d, idx);
    }

    public Tensor Gather(Tensor x, int dim, Tensor index)
    {
        x.ThrowIfDisposed();
        var d = x.Shape.Axis(dim);
        CheckScatterShapes(x.Shape, index.Shape, d, "gather", "x");
        var idx = ReadIndex(index, x.Shape[d], "gather");
        return DispatchAny(x.DType, new GatherKernel(x, d, idx, index.Shape));
    }

    public Tensor ScatterAdd(Tensor target, int dim, Tensor index, Tensor src)
    {
        RequireFloat(target, "scatter_add");
        RequireFloat(src, "scatter_add");
        if (target.DType != src.DType) throw new ArgumentException($"scatter_add of {src.DType} into {target.DType}");
        var d = target.Shape.Axis(dim);
        CheckScatterShapes(target.Shape, index.Shape, d, "scatter_add", "target");
        if (src.Rank != index.Rank || Enumerable.Range(0, src.Rank).Any(i => index.Shape[i] > src.Shape[i]))
            throw new ArgumentException($"scatter_add: index {index.Shape} must not exceed src {src.Shape} in any dim");
        var idx = ReadIndex(index, target.Shape[d], "scatter_add");
        return target.DType == DType.F32
            ? ScatterAddImpl<float>(target, d, idx, index.Shape, src)
            : ScatterAddImpl<double>(target, d, idx, index.Shape, src);
    }

    private Tensor IndexAddImpl<T>(Tensor target, Tensor src, int dim, long[] idx)
        where T : unmanaged, INumber<T>
    {
        var output = Contiguous(target);
        var result = Strided.Elements<T>(output);
        using var source = Strided.Dense<T>(src);
        var (outer, n, inner) = Split(target.Shape, dim);
        var k = idx.Length;
        // Parallel over outer blocks only: two indices may name the same row, so rows within a block stay serial.
        Parallel.For(0, outer, ParallelChunk(result.Length), o =>
        {
            for (var j = 0; j < k; j++)
            {
                var dst = result.AsSpan(((long)o * n + idx[j]) * inner, inner);
                TensorPrimitives.Add(dst, source.AsSpan(((long)o * k + j) * inner, inner), dst);
            }
        });
        return output;
    }

    private Tensor ScatterAddImpl<T>(Tensor target, int dim, long[] idx, Shape indexShape, Tensor src)
        where T : unmanaged, INumber<T>
    {
        var output = Contiguous(target);
        var result = Strided.Elements<T>(output);
        // Base offsets in the dense result with the scattered dim pinned to 0; the index then adds its row.
        var strides = target.Shape.ContiguousStrides();
        var dimStride = strides[dim];
        strides[dim] = 0;
        var bases = new Layout(indexShape, strides, 0).ElementOffsets();
        var srcOffsets = new Layout(indexShape, (long[])src.Layout.Strides.Clone(), src.Layout.Offset).ElementOffsets();
        var srcData = Strided.Elements<T>(src);
        for (var i = 0; i < bases.Length; i++) result[bases[i] + idx[i] * dimStride] += srcData[srcOffsets[i]];
        return output;
    }

    private static (int Outer, int N, int Inner) Split(Shape shape, int dim)
    {
        var outer = 1;
        var inner = 1;
        for (var i = 0; i < dim; i++) outer *= shape[i];
        for (var i = dim + 1; i < shape.Rank; i++) inner *= shape[i];
        return (outer, shape[dim], inner);
    }

    private static void CheckScatterShapes(Shape data, Shape index, int dim, string op, string name)
    {
        if (index.Rank != data.Rank) throw new ArgumentException($"{op}: index {index} must have the rank of {name} {data}");
        for (var i = 0; i < data.Rank; i++)
            if (i != dim && index[i] > data[i]) throw new ArgumentException($"{op}: index {index} exceeds {name} {data} in dim {i}");
    }

    /// <summary>An I64/I32 index vector as longs, each checked against the size of the indexed dim.</summary>
    private static long[] ReadIndexVector(Tensor index, int size, string op)
    {
        if (index.Rank != 1) throw new ArgumentException($"{op}: index must be a vector, got shape {index.Shape}");
        return ReadIndex(index, size, op);
    }

    private static long[] ReadIndex(Tensor index, int size, string op)
    {
        index.ThrowIfDisposed();
        var values = IndexValues(index, op);
        foreach (var v in values)
            if (v < 0 || v >= size) throw new IndexOutOfRangeException($"{op}: index {v} is out of range for a dim of size {size}");
        return values;
    }

    /// <summary>The elements of an I64 or I32 index tensor as longs.</summary>
    internal static long[] IndexValues(Tensor index, string what)
    {
        index.ThrowIfDisposed();
        var values = new long[index.NumElements];
        switch (index.DType)
        {
            case DType.I64:
                Strided.Gather(Strided.Elements<long>(index), index.Layout, values);
                break;
            case DType.I32:
                using (var ints = Strided.Dense<int>(index))
                    for (var i = 0; i < values.Length; i++) values[i] = ints[i];
                break;
            default:
                throw new ArgumentException($"{what} must be I64 or I32, got {index.DType}");
        }
        return values;
    }

    /// <summary>A copy kernel instantiated for the host element type of any dtype.</summary>
    private interface IElementKernel
    {
        Tensor Run<T>(DType dtype)
            where T : unmanaged;
    }

    private static Tensor DispatchAny<TKernel>(DType dtype, TKernel kernel)
        where TKernel : IElementKernel => dtype switch
        {
            DType.F32 => kernel.Run<float>(dtype),
            DType.F64 => kernel.Run<double>(dtype),
            DType.BF16 => kernel.Run<ushort>(dtype),
            DType.F16 => kernel.Run<Half>(dtype),
            DType.I32 => kernel.Run<int>(dtype),
            DType.I64 => kernel.Run<long>(dtype),
            DType.U8 or DType.Bool => kernel.Run<byte>(dtype),
            _ => throw new NotSupportedException(dtype.ToString()),
        };

    private readonly record struct CopyKernel(Tensor X) : IElementKernel
    {
        public Tensor Run<T>(DType dtype)
            where T : unmanaged
        {
            var result = Output<T>(X.Shape, dtype, out var y);
            Strided.Gather(Strided.Elements<T>(X), X.Layout, y);
            return result;
        }
    }

    private readonly record struct CatKernel(IReadOnlyList<Tensor> Xs, int Dim, Shape Shape) : IElementKernel
    {
        public Tensor Run<T>(DType dtype)
            where T : unmanaged
        {
            var output = Output<T>(Shape, dtype, out var result);
            var (outer, total, inner) = Split(Shape, Dim);
            var start = 0;
            foreach (var x in Xs)
            {
                using var data = Strided.Dense<T>(x);
                var block = x.Shape[Dim] * inner;
                for (var o = 0; o < outer; o++)
                    data.AsSpan((long)o * block, block).CopyTo(result.AsSpan((long)o * total * inner + (long)start * inner, block));
                start += x.Shape[Dim];
            }
            return output;
        }
    }

    private readonly record struct IndexSelectKernel(Tensor X, int Dim, long[] Index, Shape Shape) : IElementKernel
    {
        public Tensor Run<T>(DType dtype)
            where T : unmanaged
        {
            using var data = Strided.Dense<T>(X);
            var output = Output<T>(Shape, dtype, out var result);
            var (outer, n, inner) = Split(X.Shape, Dim);
            var k = Index.Length;
            var idx = Index;
            Parallel.For(0, (long)outer * k, ParallelChunk(result.Length), row =>
            {
                var o = row / k;
                var j = row % k;
                data.AsSpan((o * n + idx[j]) * inner, inner).CopyTo(result.AsSpan(row * inner, inner));
            });
            return output;
        }
    }

    private readonly record struct GatherKernel(Tensor X, int Dim, long[] Index, Shape IndexShape) : IElementKernel
    {
        public Tensor Run<T>(DType dtype)
            where T : unmanaged
        {
            // Base offsets walk x's own strides with the gathered dim pinned to 0; the index then adds its row.
            var strides = (long[])X.Layout.Strides.Clone();
            var dimStride = strides[Dim];
            strides[Dim] = 0;
            var bases = new Layout(IndexShape, strides, X.Layout.Offset).ElementOffsets();
            var data = Strided.Elements<T>(X);
            var output = Output<T>(IndexShape, dtype, out var result);
            for (var i = 0; i < result.Length; i++) result[i] = data[bases[i] + Index[i] * dimStride];
            return output;
        }
    }
}
