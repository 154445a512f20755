using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cuda.Backend;

// Concatenation and index-driven copies. The index kernels work on dense [rows, C] (select/add along dim 0) or
// [R, N] (gather/scatter along the last dim), so the indexed dim is first moved there with one strided copy.
// They flag an index outside the dim instead of faulting; the flag is read back and raised as the CPU does.
public sealed partial class CudaBackend
{
    public Tensor Cat(IReadOnlyList<Tensor> xs, int dim)
    {
        var (d, shape) = ShapeRules.Cat(xs, dim);
        var first = xs[0];
        var y = NewTensor(shape, first.DType);
        var start = 0;
        foreach (var x in xs)
        {
            Copy(x.Storage, x.Layout, y.Storage, y.Layout.Narrow(d, start, x.Shape[d]), x.DType);
            start += x.Shape[d];
        }
        return y;
    }

    public Tensor IndexSelect(Tensor x, int dim, Tensor index)
    {
        x.ThrowIfDisposed();
        if (index.Rank != 1) throw new ArgumentException($"index_select: index must be a vector, got shape {index.Shape}");
        var d = x.Shape.Axis(dim);
        var (wordType, wordsPerElement) = WordView(x.DType, "index_select", allowEightBytes: true);
        var dims = x.Shape.ToArray();
        dims[d] = index.Shape[0];
        var outShape = new Shape(dims);
        if (outShape.NumElements == 0) return NewTensor(outShape, x.DType);
        if (x.Shape[d] == 0) throw new IndexOutOfRangeException($"index_select: {index.Shape[0]} indices into an empty dim {d} of {x.Shape}");
        using var scratch = new Scratch(this);
        var idx = IndexAsI64(scratch, index, "index_select");
        var toFront = ToFront(x.Rank, d);
        var source = d == 0 ? scratch.Dense(x) : scratch.DenseOf(x, x.Layout.Permute(toFront));
        var n = x.Shape[d];
        var columns = x.NumElements / n * wordsPerElement;
        var frontShape = new Shape(toFront.Select(i => outShape[i]).ToArray());
        var selected = scratch.New(d == 0 ? outShape : frontShape, x.DType);
        var bad = scratch.New(new Shape(1), DType.I32);
        Context.Fill(Storage(bad).Buffer, 0);
        var m = (long)index.Shape[0];
        _index.SelectRows(wordType, m, columns, n, Address(source), Address(idx), Address(selected), Address(bad));
        ThrowOnBadIndex(bad, "index_select", n);
        return d == 0 ? scratch.Keep(selected) : MoveBack(selected, FromFront(x.Rank, d), outShape);
    }

    public Tensor IndexAdd(Tensor target, int dim, Tensor index, Tensor src)
    {
        if (target.DType != src.DType) throw new ArgumentException($"index_add of {src.DType} into {target.DType}");
        if (index.Rank != 1) throw new ArgumentException($"index_add: index must be a vector, got shape {index.Shape}");
        KernelFamily.FloatSuffix(target.DType, "index_add");
        var d = target.Shape.Axis(dim);
        var expected = target.Shape.ToArray();
        expected[d] = index.Shape[0];
        if (src.Shape != new Shape(expected))
            throw new ArgumentException($"index_add: src has shape {src.Shape}, expected {new Shape(expected)} (target {target.Shape}, {index.Shape[0]} indices along dim {d})");
        using var scratch = new Scratch(this);
        var toFront = ToFront(target.Rank, d);
        var result = Widened(scratch, d == 0 ? scratch.Own(Contiguous(target)) : scratch.DenseOf(target, target.Layout.Permute(toFront)));
        var n = target.Shape[d];
        var m = (long)index.Shape[0];
        var columns = n == 0 ? 0 : target.NumElements / n;
        if (m > 0 && columns > 0)
        {
            var idx = IndexAsI64(scratch, index, "index_add");
            var rows = Widened(scratch, d == 0 ? scratch.Dense(src) : scratch.DenseOf(src, src.Layout.Permute(toFront)));
            var bad = scratch.New(new Shape(1), DType.I32);
            Context.Fill(Storage(bad).Buffer, 0);
            _index.ScatterAddRows(m, columns, n, Address(rows), Address(idx), Address(result), Address(bad));
            ThrowOnBadIndex(bad, "index_add", n);
        }
        if (result.DType != target.DType) result = scratch.Own(Cast(result, target.DType));
        return d == 0 ? scratch.Keep(result) : MoveBack(result, FromFront(target.Rank, d), target.Shape);
    }

    public Tensor Gather(Tensor x, int dim, Tensor index)
    {
        x.ThrowIfDisposed();
        var d = x.Shape.Axis(dim);
        CheckScatterShapes(x.Shape, index.Shape, d, "gather", "x");
        var (wordType, _) = WordView(x.DType, "gather", allowEightBytes: false);
        if (index.NumElements == 0) return NewTensor(index.Shape, x.DType);
        using var scratch = new Scratch(this);
        var toLast = ToLast(x.Rank, d);
        var n = x.Shape[d];
        var source = scratch.DenseOf(x, Window(x.Layout, index.Shape, d).Permute(toLast));
        var idx = IndexAsI64(scratch, index, "gather", toLast);
        var k = index.Shape[d];
        var rows = index.NumElements / k;
        var gathered = scratch.New(idx.Shape, x.DType);
        var bad = scratch.New(new Shape(1), DType.I32);
        Context.Fill(Storage(bad).Buffer, 0);
        _index.GatherLastDim(wordType, rows, n, k, Address(source), Address(idx), Address(gathered), Address(bad));
        ThrowOnBadIndex(bad, "gather", n);
        return MoveBack(gathered, FromLast(x.Rank, d), index.Shape);
    }

    public Tensor ScatterAdd(Tensor target, int dim, Tensor index, Tensor src)
    {
        if (target.DType != src.DType) throw new ArgumentException($"scatter_add of {src.DType} into {target.DType}");
        KernelFamily.FloatSuffix(target.DType, "scatter_add");
        var d = target.Shape.Axis(dim);
        CheckScatterShapes(target.Shape, index.Shape, d, "scatter_add", "target");
        if (src.Rank != index.Rank || Enumerable.Range(0, src.Rank).Any(i => index.Shape[i] > src.Shape[i]))
            throw new ArgumentException($"scatter_add: index {index.Shape} must not exceed src {src.Shape} in any dim");
        if (index.NumElements == 0) return Contiguous(target);
        using var scratch = new Scratch(this);
        var result = scratch.Own(Contiguous(target));
        var toLast = ToLast(target.Rank, d);
        // The touched window of the result, reduced dim last; scattered into densely, then written back.
        var window = Window(result.Layout, index.Shape, d).Permute(toLast);
        var dense = Widened(scratch, scratch.DenseOf(result, window));
        var srcWindow = new Layout(index.Shape, src.Layout.Strides, src.Layout.Offset).Permute(toLast);
        var rowsOfSrc = Widened(scratch, scratch.DenseOf(src, srcWindow));
        var idx = IndexAsI64(scratch, index, "scatter_add", toLast);
        var n = target.Shape[d];
        var k = index.Shape[d];
        var rows = index.NumElements / k;
        var bad = scratch.New(new Shape(1), DType.I32);
        Context.Fill(Storage(bad).Buffer, 0);
        _index.ScatterAddLastDim(rows, n, k, Address(rowsOfSrc), Address(idx), Address(dense), Address(bad));
        ThrowOnBadIndex(bad, "scatter_add", n);
        if (dense.DType != target.DType) dense = scratch.Own(Cast(dense, target.DType));
        Copy(dense.Storage, dense.Layout, result.Storage, window, target.DType);
        return scratch.Keep(result);
    }

    /// <summary>
    /// The kernel word type that moves elements of dtype bit for bit: f32 kernels move any 4-byte element, bf16
    /// kernels any 2-byte one, and (for row copies) an 8-byte element is two f32 words.
    /// </summary>
    private static (DType WordType, int WordsPerElement) WordView(DType dtype, string op, bool allowEightBytes) => dtype.SizeOf() switch
    {
        2 => (DType.BF16, 1),
        4 => (DType.F32, 1),
        8 when allowEightBytes => (DType.F32, 2),
        _ => throw new NotSupportedException($"{op} on CUDA does not support {dtype} elements"),
    };

    /// <summary>
    /// A dense F32 copy of a dense BF16 operand of a scatter, owned by the scratch (F32 itself unchanged): the scatter
    /// kernels store each partial sum, so they add in F32 and the caller rounds once at the end.
    /// </summary>
    private Tensor Widened(Scratch scratch, Tensor dense) => dense.DType == DType.F32 ? dense : scratch.Own(Cast(dense, DType.F32));

    /// <summary>The index as dense I64, optionally permuted first; I32 indices are widened.</summary>
    private Tensor IndexAsI64(Scratch scratch, Tensor index, string op, int[]? perm = null)
    {
        index.ThrowIfDisposed();
        if (index.DType is not (DType.I64 or DType.I32)) throw new ArgumentException($"{op}: index must be I64 or I32, got {index.DType}");
        var dense = perm is null ? scratch.Dense(index) : scratch.DenseOf(index, index.Layout.Permute(perm));
        return dense.DType == DType.I64 ? dense : scratch.Own(Cast(dense, DType.I64));
    }

    private void ThrowOnBadIndex(Tensor flag, string op, long size)
    {
        var value = new int[1];
        Context.CopyToHost<int>(Storage(flag).Buffer, value);
        if (value[0] != 0) throw new IndexOutOfRangeException($"{op}: an index is out of range for a dim of size {size}");
    }

    private static void CheckScatterShapes(Shape data, Shape index, int dim, string op, string name)
    {
        if (index.Rank != data.Rank) throw new ArgumentException($"{op}: index {index} must have the rank of {name} {data}");
        for (var i = 0; i < data.Rank; i++)
            if (i != dim && index[i] > data[i]) throw new ArgumentException($"{op}: index {index} exceeds {name} {data} in dim {i}");
    }

    /// <summary>The leading corner of a layout with the index's extents in every dim except dim, which keeps its size.</summary>
    internal static Layout Window(Layout layout, Shape index, int dim)
    {
        var dims = index.ToArray();
        dims[dim] = layout.Shape[dim];
        return new Layout(new Shape(dims), layout.Strides, layout.Offset);
    }

    private Tensor MoveBack(Tensor moved, int[] perm, Shape shape)
    {
        var y = NewTensor(shape, moved.DType);
        Copy(moved.Storage, moved.Layout.Permute(perm), y.Storage, y.Layout, moved.DType);
        if (!ReferenceEquals(moved, y)) moved.Dispose();
        return y;
    }

    internal static int[] ToFront(int rank, int d) => [d, .. Enumerable.Range(0, rank).Where(i => i != d)];

    internal static int[] FromFront(int rank, int d)
    {
        var perm = new int[rank];
        for (var i = 0; i < rank; i++) perm[i] = i == d ? 0 : i < d ? i + 1 : i;
        return perm;
    }

    internal static int[] ToLast(int rank, int d) => [.. Enumerable.Range(0, rank).Where(i => i != d), d];

    internal static int[] FromLast(int rank, int d)
    {
        var perm = new int[rank];
        for (int i = 0, k = 0; i < rank; i++) perm[i] = i == d ? rank - 1 : k++;
        return perm;
    }
}
