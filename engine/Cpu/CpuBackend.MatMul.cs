using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cpu;

public sealed partial class CpuBackend
{
    public Tensor MatMul(Tensor a, Tensor b)
    {
        RequireFloat(a, "matmul");
        RequireFloat(b, "matmul");
        if (a.DType != b.DType) throw new ArgumentException($"matmul of {a.DType} and {b.DType}");
        if (a.Rank < 2 || b.Rank < 2) throw new ArgumentException($"matmul needs rank ≥ 2 operands, got {a.Shape} and {b.Shape} (unsqueeze vectors first)");
        var m = a.Shape[^2];
        var k = a.Shape[^1];
        var n = b.Shape[^1];
        if (b.Shape[^2] != k) throw new ArgumentException($"matmul inner dimensions differ: {a.Shape} × {b.Shape}");
        var batchShape = Shape.Broadcast(new Shape(a.Shape.ToArray()[..^2]), new Shape(b.Shape.ToArray()[..^2]));
        var la = a.Layout.Expand(new Shape([.. batchShape, m, k]));
        var lb = b.Layout.Expand(new Shape([.. batchShape, k, n]));
        var outShape = new Shape([.. batchShape, m, n]);
        return a.DType == DType.F32
            ? Wrap(MatMulImpl<float>(a, b, la, lb, batchShape, m, n, k), outShape)
            : Wrap(MatMulImpl<double>(a, b, la, lb, batchShape, m, n, k), outShape);
    }

    private T[] MatMulImpl<T>(Tensor a, Tensor b, Layout la, Layout lb, Shape batchShape, int m, int n, int k)
        where T : unmanaged
    {
        var (dataA, offsetsA, transA, ldA) = Operand<T>(a, la, m, k);
        var (dataB, offsetsB, transB, ldB) = Operand<T>(b, lb, k, n);
        var batches = (int)batchShape.NumElements;
        var c = new T[(long)batches * m * n];
        for (var i = 0; i < batches; i++)
        {
            var cSpan = c.AsSpan(i * m * n, m * n);
            if (typeof(T) == typeof(float))
                CpuGemm.Sgemm(transA, transB, m, n, k, 1f, Slice((float[])(object)dataA, offsetsA[i]), ldA, Slice((float[])(object)dataB, offsetsB[i]), ldB, 0f, System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(cSpan), n);
            else
                CpuGemm.Dgemm(transA, transB, m, n, k, 1.0, Slice((double[])(object)dataA, offsetsA[i]), ldA, Slice((double[])(object)dataB, offsetsB[i]), ldB, 0.0, System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(cSpan), n);
        }
        return c;
    }

    private static ReadOnlySpan<T> Slice<T>(T[] data, long offset) => data.AsSpan((int)offset);

    /// <summary>
    /// The storage, the start of each batch matrix, and whether it is read transposed. A matrix whose last two
    /// dims are row-major (stride 1 across columns) or column-major (stride 1 across rows) is used in place;
    /// anything else is copied to a dense layout first.
    /// </summary>
    private (T[] Data, long[] Offsets, bool Transposed, int Ld) Operand<T>(Tensor x, Layout layout, int rows, int cols)
    {
        var rs = layout.Strides[^2];
        var cs = layout.Strides[^1];
        var batchRank = layout.Rank - 2;
        bool transposed;
        int ld;
        if ((cs == 1 || cols == 1) && (rs >= cols || rows == 1))
        {
            transposed = false;
            ld = rows == 1 ? cols : (int)rs;
        }
        else if ((rs == 1 || rows == 1) && (cs >= rows || cols == 1))
        {
            transposed = true;
            ld = cols == 1 ? rows : (int)cs;
        }
        else
        {
            var dense = Contiguous(x.ViewAs(layout));
            return Operand<T>(dense, dense.Layout, rows, cols);
        }
        var batchLayout = new Layout(new Shape(layout.Shape.ToArray()[..batchRank].Append(1).ToArray()), [.. layout.Strides[..batchRank], 1], layout.Offset);
        var offsets = Strided.RowOffsets(batchLayout);
        return (x.CpuStorage().As<T>(), offsets, transposed, Math.Max(ld, 1));
    }
}
