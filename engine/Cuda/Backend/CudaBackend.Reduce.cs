using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cuda.Backend;

// Reductions, argmax and softmax run over the last dim of a dense [rows, n] tensor (one block per row): other dims are
// first moved last with one strided copy, and the result moved back.
public sealed partial class CudaBackend
{
    public Tensor Reduce(ReduceKind kind, Tensor x, int[] dims, bool keepDim)
    {
        KernelFamily.FloatSuffix(x.DType, "reduce");
        var (perm, rows, rowLength, outShape) = ReductionPlan(x.Shape, dims, keepDim);
        if (rows == 0) return NewTensor(outShape, x.DType);
        if (rowLength == 0) return Fill(outShape, x.DType, EmptyReduction(kind));
        using var scratch = new Scratch(this);
        var moved = scratch.DenseOf(x, x.Layout.Permute(perm));
        // Max and Min come back in the storage type; the others as fp32 rows, rounded to x's dtype afterwards.
        var inStorageType = kind is ReduceKind.Max or ReduceKind.Min;
        var result = scratch.New(outShape, inStorageType || x.DType == DType.F32 ? x.DType : DType.F32);
        if (rows == 1 && rowLength >= WholeReductionSplit) ReduceOneLongRow(scratch, kind, moved, rowLength, result);
        else _reduce.LastDim(x.DType, ReduceOp(kind), rows, rowLength, Address(moved), Address(result));
        if (kind == ReduceKind.Mean && rows == 1 && rowLength >= WholeReductionSplit)
            result = scratch.Own(Binary(BinaryKind.Mul, result, scratch.Own(Fill(new Shape(), result.DType, 1.0 / rowLength))));
        return result.DType == x.DType ? scratch.Keep(result) : Cast(result, x.DType);
    }

    /// <summary>Elements from which a whole-tensor reduction is spread over many blocks instead of one.</summary>
    internal const long WholeReductionSplit = 1 << 16;

    /// <summary>
    /// One long row (a whole-tensor sum, a global norm) in two passes so that many blocks share it: the first P·L
    /// elements as P rows of L, plus the remainder as one more row, give the partials; one block reduces them. Sum, max,
    /// min and log-sum-exp compose over parts; a mean is reduced as a sum here and scaled by the caller.
    /// </summary>
    private void ReduceOneLongRow(Scratch scratch, ReduceKind kind, Tensor row, long length, Tensor result)
    {
        var op = kind == ReduceKind.Mean ? ReduceKernelOp.Sum : ReduceOp(kind);
        var parts = Math.Clamp(length / 4096, 2, 1024);
        var partLength = length / parts;
        var remainder = length - parts * partLength;
        var partials = scratch.New(new Shape((int)(parts + (remainder > 0 ? 1 : 0))), result.DType);
        var partialBytes = result.DType.SizeOf();
        _reduce.LastDim(row.DType, op, parts, partLength, Address(row), Address(partials));
        if (remainder > 0)
            _reduce.LastDim(row.DType, op, 1, remainder, Address(row) + (ulong)(parts * partLength * row.DType.SizeOf()),
                Address(partials) + (ulong)(parts * partialBytes));
        _reduce.LastDim(result.DType, op, 1, partials.NumElements, Address(partials), Address(result));
    }

    public static ReduceKernelOp ReduceOp(ReduceKind kind) => kind switch
    {
        ReduceKind.Sum => ReduceKernelOp.Sum,
        ReduceKind.Mean => ReduceKernelOp.Mean,
        ReduceKind.Max => ReduceKernelOp.Max,
        ReduceKind.Min => ReduceKernelOp.Min,
        ReduceKind.LogSumExp => ReduceKernelOp.LogSumExp,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static double EmptyReduction(ReduceKind kind) => kind switch
    {
        ReduceKind.Sum => 0,
        ReduceKind.Mean => double.NaN,
        ReduceKind.Max or ReduceKind.LogSumExp => double.NegativeInfinity,
        _ => double.PositiveInfinity,
    };

    /// <summary>The permutation that puts the reduced dims last, the row count and length, and the output shape.</summary>
    public static (int[] Perm, long Rows, long RowLength, Shape OutShape) ReductionPlan(Shape shape, int[] dims, bool keepDim)
    {
        var reduce = new bool[shape.Rank];
        foreach (var dim in dims) reduce[shape.Axis(dim)] = true;
        var kept = Enumerable.Range(0, shape.Rank).Where(i => !reduce[i]).ToArray();
        var gone = Enumerable.Range(0, shape.Rank).Where(i => reduce[i]).ToArray();
        long rows = 1, rowLength = 1;
        foreach (var i in kept) rows *= shape[i];
        foreach (var i in gone) rowLength *= shape[i];
        var outDims = keepDim ? Enumerable.Range(0, shape.Rank).Select(i => reduce[i] ? 1 : shape[i]).ToArray() : kept.Select(i => shape[i]).ToArray();
        return ([.. kept, .. gone], rows, rowLength, new Shape(outDims));
    }

    public Tensor ArgMax(Tensor x, int dim, bool keepDim)
    {
        KernelFamily.FloatSuffix(x.DType, "argmax");
        var (perm, rows, rowLength, outShape) = ReductionPlan(x.Shape, [dim], keepDim);
        if (rows == 0 || rowLength == 0) return Fill(outShape, DType.I64, 0);
        using var scratch = new Scratch(this);
        var moved = scratch.DenseOf(x, x.Layout.Permute(perm));
        var result = NewTensor(outShape, DType.I64);
        _reduce.ArgMax(x.DType, rows, rowLength, Address(moved), Address(result));
        return result;
    }

    public Tensor Softmax(Tensor x, int dim, bool log) => SoftmaxRows(x, null, dim, log);

    public Tensor SoftmaxBackward(Tensor y, Tensor gradY, int dim, bool log)
    {
        if (y.Shape != gradY.Shape || y.DType != gradY.DType)
            throw new ArgumentException($"softmax backward: gradient {gradY.Shape} {gradY.DType} does not match output {y.Shape} {y.DType}");
        return SoftmaxRows(y, gradY, dim, log);
    }

    /// <summary>Forward when gradY is null (x is the input), else backward (x is the forward output).</summary>
    private Tensor SoftmaxRows(Tensor x, Tensor? gradY, int dim, bool log)
    {
        KernelFamily.FloatSuffix(x.DType, "softmax");
        var d = x.Shape.Axis(dim);
        var n = x.Shape[d];
        var rows = x.NumElements / Math.Max(n, 1);
        if (x.NumElements == 0) return NewTensor(x.Shape, x.DType);
        using var scratch = new Scratch(this);
        var toLast = Enumerable.Range(0, x.Rank).Where(i => i != d).Append(d).ToArray();
        var moved = d == x.Rank - 1 ? scratch.Dense(x) : scratch.DenseOf(x, x.Layout.Permute(toLast));
        var result = d == x.Rank - 1 ? NewTensor(x.Shape, x.DType) : scratch.New(moved.Shape, x.DType);
        if (gradY is null) _softmax.Forward(x.DType, log, rows, n, Address(moved), Address(result));
        else
        {
            var movedGrad = d == x.Rank - 1 ? scratch.Dense(gradY) : scratch.DenseOf(gradY, gradY.Layout.Permute(toLast));
            _softmax.Backward(x.DType, log, rows, n, Address(moved), Address(movedGrad), Address(result));
        }
        if (d == x.Rank - 1) return result;
        var fromLast = new int[x.Rank];
        for (int i = 0, k = 0; i < x.Rank; i++) fromLast[i] = i == d ? x.Rank - 1 : k++;
        var back = NewTensor(x.Shape, x.DType);
        Copy(result.Storage, result.Layout.Permute(fromLast), back.Storage, back.Layout, x.DType);
        return back;
    }
}
