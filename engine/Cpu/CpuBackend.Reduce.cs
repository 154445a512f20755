using System.Numerics;
using System.Numerics.Tensors;
using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cpu;

public sealed partial class CpuBackend
{
    public Tensor Reduce(ReduceKind kind, Tensor x, int[] dims, bool keepDim)
    {
        RequireFloat(x, $"reduce {kind}");
        var (rows, rowLength, outShape) = ReductionRows(x, dims, keepDim, out var moved);
        return x.DType == DType.F32
            ? Wrap(ReduceRows(kind, Strided.Dense<float>(moved), rows, rowLength), outShape)
            : Wrap(ReduceRows(kind, Strided.Dense<double>(moved), rows, rowLength), outShape);
    }

    public Tensor ArgMax(Tensor x, int dim, bool keepDim)
    {
        RequireFloat(x, "argmax");
        var (rows, rowLength, outShape) = ReductionRows(x, [x.Shape.Axis(dim)], keepDim, out var moved);
        var result = new long[rows];
        if (x.DType == DType.F32) ArgMaxRows(Strided.Dense<float>(moved), rowLength, result);
        else ArgMaxRows(Strided.Dense<double>(moved), rowLength, result);
        return Wrap(result, outShape, DType.I64);
    }

    public Tensor Softmax(Tensor x, int dim, bool log)
    {
        RequireFloat(x, log ? "log_softmax" : "softmax");
        var d = x.Shape.Axis(dim);
        var moved = MoveToLast(x, d);
        var n = moved.Shape[^1];
        var rows = (int)(moved.NumElements / Math.Max(n, 1));
        Tensor y = x.DType == DType.F32
            ? Wrap(SoftmaxRows(Strided.Dense<float>(moved), rows, n, log), moved.Shape)
            : Wrap(SoftmaxRows(Strided.Dense<double>(moved), rows, n, log), moved.Shape);
        return MoveFromLast(y, d);
    }

    public Tensor SoftmaxBackward(Tensor y, Tensor gradY, int dim, bool log)
    {
        RequireFloat(y, "softmax backward");
        var d = y.Shape.Axis(dim);
        var my = MoveToLast(y, d);
        var mg = MoveToLast(gradY, d);
        var n = my.Shape[^1];
        var rows = (int)(my.NumElements / Math.Max(n, 1));
        Tensor gx = y.DType == DType.F32
            ? Wrap(SoftmaxGradRows(Strided.Dense<float>(my), Strided.Dense<float>(mg), rows, n, log), my.Shape)
            : Wrap(SoftmaxGradRows(Strided.Dense<double>(my), Strided.Dense<double>(mg), rows, n, log), my.Shape);
        return MoveFromLast(gx, d);
    }

    /// <summary>Permutes the reduced dims to the end and copies, so each output element reduces one dense row.</summary>
    private (int Rows, int RowLength, Shape OutShape) ReductionRows(Tensor x, int[] dims, bool keepDim, out Tensor moved)
    {
        var reduce = new bool[x.Rank];
        foreach (var dim in dims) reduce[x.Shape.Axis(dim)] = true;
        var kept = Enumerable.Range(0, x.Rank).Where(i => !reduce[i]).ToArray();
        var gone = Enumerable.Range(0, x.Rank).Where(i => reduce[i]).ToArray();
        moved = Contiguous(x.ViewAs(x.Layout.Permute([.. kept, .. gone])));
        var rowLength = 1;
        foreach (var i in gone) rowLength *= x.Shape[i];
        var outDims = keepDim ? Enumerable.Range(0, x.Rank).Select(i => reduce[i] ? 1 : x.Shape[i]).ToArray() : kept.Select(i => x.Shape[i]).ToArray();
        var rows = 1;
        foreach (var i in kept) rows *= x.Shape[i];
        return (rows, rowLength, new Shape(outDims));
    }

    private static T[] ReduceRows<T>(ReduceKind kind, T[] data, int rows, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[rows];
        for (var r = 0; r < rows; r++)
        {
            var row = new ReadOnlySpan<T>(data, r * n, n);
            y[r] = kind switch
            {
                ReduceKind.Sum => TensorPrimitives.Sum(row),
                ReduceKind.Mean => TensorPrimitives.Sum(row) / T.CreateTruncating(n),
                ReduceKind.Max => n == 0 ? T.NegativeInfinity : TensorPrimitives.Max(row),
                ReduceKind.Min => n == 0 ? T.PositiveInfinity : TensorPrimitives.Min(row),
                ReduceKind.LogSumExp => LogSumExp(row),
                _ => throw new NotSupportedException($"reduce {kind}"),
            };
        }
        return y;
    }

    private static T LogSumExp<T>(ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (row.Length == 0) return T.NegativeInfinity;
        var max = TensorPrimitives.Max(row);
        if (T.IsInfinity(max)) return max;
        var sum = T.Zero;
        foreach (var v in row) sum += T.Exp(v - max);
        return max + T.Log(sum);
    }

    private static void ArgMaxRows<T>(T[] data, int n, long[] result)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var r = 0; r < result.Length; r++)
        {
            var best = 0;
            for (var j = 1; j < n; j++)
                if (data[r * n + j] > data[r * n + best] || (T.IsNaN(data[r * n + j]) && !T.IsNaN(data[r * n + best]))) best = j;
            result[r] = best;
        }
    }

    private static T[] SoftmaxRows<T>(T[] x, int rows, int n, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[x.Length];
        Parallel.For(0, rows, ParallelChunk(x.Length), r =>
        {
            var src = new ReadOnlySpan<T>(x, r * n, n);
            var dst = new Span<T>(y, r * n, n);
            if (n == 0) return;
            var max = TensorPrimitives.Max(src);
            TensorPrimitives.Subtract(src, max, dst);
            if (log)
            {
                var shifted = dst.ToArray();
                TensorPrimitives.Exp<T>(shifted, shifted);
                var lse = T.Log(TensorPrimitives.Sum<T>(shifted));
                TensorPrimitives.Subtract(dst, lse, dst);
            }
            else
            {
                TensorPrimitives.Exp<T>(dst, dst);
                var sum = TensorPrimitives.Sum<T>(dst);
                TensorPrimitives.Divide(dst, sum, dst);
            }
        });
        return y;
    }

    // softmax: dx = y ⊙ (g − Σ g·y);  log_softmax: dx = g − exp(y) · Σ g.
    private static T[] SoftmaxGradRows<T>(T[] y, T[] g, int rows, int n, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dx = new T[y.Length];
        for (var r = 0; r < rows; r++)
        {
            var yr = new ReadOnlySpan<T>(y, r * n, n);
            var gr = new ReadOnlySpan<T>(g, r * n, n);
            var d = new Span<T>(dx, r * n, n);
            if (log)
            {
                var sum = TensorPrimitives.Sum(gr);
                for (var j = 0; j < n; j++) d[j] = gr[j] - T.Exp(yr[j]) * sum;
            }
            else
            {
                var dot = TensorPrimitives.Dot(gr, yr);
                for (var j = 0; j < n; j++) d[j] = yr[j] * (gr[j] - dot);
            }
        }
        return dx;
    }

    private Tensor MoveToLast(Tensor x, int dim)
    {
        if (dim == x.Rank - 1) return x;
        var perm = Enumerable.Range(0, x.Rank).Where(i => i != dim).Append(dim).ToArray();
        return Contiguous(x.ViewAs(x.Layout.Permute(perm)));
    }

    private Tensor MoveFromLast(Tensor y, int dim)
    {
        if (dim == y.Rank - 1) return y;
        var perm = new int[y.Rank];
        for (int i = 0, k = 0; i < y.Rank; i++) perm[i] = i == dim ? y.Rank - 1 : k++;
        return Contiguous(y.ViewAs(y.Layout.Permute(perm)));
    }
}
