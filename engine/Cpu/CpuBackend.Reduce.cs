using System.Numerics;
using System.Numerics.Tensors;
using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cpu;

public sealed partial class CpuBackend
{
    public Tensor Reduce(ReduceKind kind, Tensor x, int[] dims, bool keepDim)
    {
        if (x.DType == DType.BF16)
        {
            // A bf16 weight (a frozen LM head's row mean, say) reduces in f32.
            using var wide = Cast(x, DType.F32);
            return Reduce(kind, wide, dims, keepDim);
        }
        RequireFloat(x, $"reduce {kind}");
        var (rows, rowLength, outShape) = ReductionRows(x, dims, keepDim, out var moved);
        using (moved)
            return x.DType == DType.F32
                ? ReduceRows<float>(kind, moved, rows, rowLength, outShape)
                : ReduceRows<double>(kind, moved, rows, rowLength, outShape);
    }

    public Tensor ArgMax(Tensor x, int dim, bool keepDim)
    {
        RequireFloat(x, "argmax");
        var (_, rowLength, outShape) = ReductionRows(x, [x.Shape.Axis(dim)], keepDim, out var moved);
        using (moved)
        {
            var output = Output<long>(outShape, DType.I64, out var result);
            if (x.DType == DType.F32) ArgMaxRows<float>(moved, rowLength, result);
            else ArgMaxRows<double>(moved, rowLength, result);
            return output;
        }
    }

    public Tensor Softmax(Tensor x, int dim, bool log)
    {
        RequireFloat(x, log ? "log_softmax" : "softmax");
        var d = x.Shape.Axis(dim);
        var moved = MoveToLast(x, d);
        var n = moved.Shape[^1];
        var rows = (int)(moved.NumElements / Math.Max(n, 1));
        var y = x.DType == DType.F32 ? SoftmaxRows<float>(moved, rows, n, log) : SoftmaxRows<double>(moved, rows, n, log);
        if (!ReferenceEquals(moved, x)) moved.Dispose();
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
        var gx = y.DType == DType.F32 ? SoftmaxGradRows<float>(my, mg, rows, n, log) : SoftmaxGradRows<double>(my, mg, rows, n, log);
        if (!ReferenceEquals(my, y)) my.Dispose();
        if (!ReferenceEquals(mg, gradY)) mg.Dispose();
        return MoveFromLast(gx, d);
    }

    /// <summary>Permutes the reduced dims to the end and copies, so each output element reduces one dense row.</summary>
    private (int Rows, int RowLength, Shape OutShape) ReductionRows(Tensor x, int[] dims, bool keepDim, out Tensor moved)
    {
        var reduce = new bool[x.Rank];
        foreach (var dim in dims) reduce[x.Shape.Axis(dim)] = true;
        var kept = Enumerable.Range(0, x.Rank).Where(i => !reduce[i]).ToArray();
        var gone = Enumerable.Range(0, x.Rank).Where(i => reduce[i]).ToArray();
        using (var view = x.ViewAs(x.Layout.Permute([.. kept, .. gone])))
            moved = Contiguous(view);
        var rowLength = 1;
        foreach (var i in gone) rowLength *= x.Shape[i];
        var outDims = keepDim ? Enumerable.Range(0, x.Rank).Select(i => reduce[i] ? 1 : x.Shape[i]).ToArray() : kept.Select(i => x.Shape[i]).ToArray();
        var rows = 1;
        foreach (var i in kept) rows *= x.Shape[i];
        return (rows, rowLength, new Shape(outDims));
    }

    private static Tensor ReduceRows<T>(ReduceKind kind, Tensor moved, int rows, int n, Shape outShape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var data = Strided.Dense<T>(moved);
        var output = Output<T>(outShape, moved.DType, out var y);
        for (var r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> row = data.AsSpan((long)r * n, n);
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
        return output;
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

    private static void ArgMaxRows<T>(Tensor moved, int n, CpuBuffer<long> result)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var data = Strided.Dense<T>(moved);
        for (var r = 0; r < result.Length; r++)
        {
            var best = 0;
            for (var j = 1; j < n; j++)
                if (data[r * n + j] > data[r * n + best] || (T.IsNaN(data[r * n + j]) && !T.IsNaN(data[r * n + best]))) best = j;
            result[r] = best;
        }
    }

    private static Tensor SoftmaxRows<T>(Tensor input, int rows, int n, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var x = Strided.Dense<T>(input);
        var output = Output<T>(input.Shape, input.DType, out var y);
        Parallel.For(0, rows, ParallelChunk(x.Length), () => log ? new T[n] : [], (r, _, shifted) =>
        {
            ReadOnlySpan<T> src = x.AsSpan((long)r * n, n);
            var dst = y.AsSpan((long)r * n, n);
            if (n == 0) return shifted;
            var max = TensorPrimitives.Max(src);
            TensorPrimitives.Subtract(src, max, dst);
            if (log)
            {
                TensorPrimitives.Exp<T>(dst, shifted);
                var lse = T.Log(TensorPrimitives.Sum<T>(shifted));
                TensorPrimitives.Subtract(dst, lse, dst);
            }
            else
            {
                TensorPrimitives.Exp<T>(dst, dst);
                var sum = TensorPrimitives.Sum<T>(dst);
                TensorPrimitives.Divide(dst, sum, dst);
            }
            return shifted;
        }, _ => { });
        return output;
    }

    // softmax: dx = y ⊙ (g − Σ g·y);  log_softmax: dx = g − exp(y) · Σ g.
    private static Tensor SoftmaxGradRows<T>(Tensor output, Tensor gradY, int rows, int n, bool log)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var y = Strided.Dense<T>(output);
        using var g = Strided.Dense<T>(gradY);
        var result = Output<T>(output.Shape, output.DType, out var dx);
        for (var r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> yr = y.AsSpan((long)r * n, n);
            ReadOnlySpan<T> gr = g.AsSpan((long)r * n, n);
            var d = dx.AsSpan((long)r * n, n);
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
        return result;
    }

    private Tensor MoveToLast(Tensor x, int dim)
    {
        if (dim == x.Rank - 1) return x;
        var perm = Enumerable.Range(0, x.Rank).Where(i => i != dim).Append(dim).ToArray();
        using var view = x.ViewAs(x.Layout.Permute(perm));
        return Contiguous(view);
    }

    private Tensor MoveFromLast(Tensor y, int dim)
    {
        if (dim == y.Rank - 1) return y;
        var perm = new int[y.Rank];
        for (int i = 0, k = 0; i < y.Rank; i++) perm[i] = i == dim ? y.Rank - 1 : k++;
        using (y)
        using (var view = y.ViewAs(y.Layout.Permute(perm)))
            return Contiguous(view);
    }
}
