using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// F32·F32 and F64·F64 compute in their own precision. A BF16 operand (with a BF16 or F32 partner) is widened
    /// to F32 while the GEMM packs its panels: the product is F32, accumulated in F32.
    /// </summary>
    public Tensor MatMul(Tensor a, Tensor b)
    {
        a.ThrowIfDisposed();
        b.ThrowIfDisposed();
        bool sameFloat = a.DType == b.DType && a.DType is DType.F32 or DType.F64;
        bool widened = a.DType is DType.F32 or DType.BF16 && b.DType is DType.F32 or DType.BF16;
        if (!sameFloat && !widened)
            throw new NotSupportedException($"matmul on the CPU needs F32·F32, F64·F64, or BF16 with BF16 or F32; got {a.DType}·{b.DType}");
        if (a.Rank < 2 || b.Rank < 2) throw new ArgumentException($"matmul needs rank ≥ 2 operands, got {a.Shape} and {b.Shape} (unsqueeze vectors first)");
        var m = a.Shape[^2];
        var k = a.Shape[^1];
        var n = b.Shape[^1];
        if (b.Shape[^2] != k) throw new ArgumentException($"matmul inner dimensions differ: {a.Shape} × {b.Shape}");
        var batchShape = Shape.Broadcast(new Shape(a.Shape.ToArray()[..^2]), new Shape(b.Shape.ToArray()[..^2]));
        var la = a.Layout.Expand(new Shape([.. batchShape, m, k]));
        var lb = b.Layout.Expand(new Shape([.. batchShape, k, n]));
        var outShape = new Shape([.. batchShape, m, n]);
        return (a.DType, b.DType) switch
        {
            (DType.F64, _) => MatMulImpl<double, double, double>(a, b, la, lb, batchShape, m, n, k, outShape, DType.F64),
            (DType.F32, DType.F32) => MatMulImpl<float, float, float>(a, b, la, lb, batchShape, m, n, k, outShape, DType.F32),
            (DType.F32, _) => MatMulImpl<float, ushort, float>(a, b, la, lb, batchShape, m, n, k, outShape, DType.F32),
            (_, DType.F32) => MatMulImpl<ushort, float, float>(a, b, la, lb, batchShape, m, n, k, outShape, DType.F32),
            _ => MatMulImpl<ushort, ushort, float>(a, b, la, lb, batchShape, m, n, k, outShape, DType.F32),
        };
    }

    private Tensor MatMulImpl<TA, TB, TC>(Tensor a, Tensor b, Layout la, Layout lb, Shape batchShape, int m, int n, int k, Shape outShape, DType outType)
        where TA : unmanaged where TB : unmanaged where TC : unmanaged, System.Numerics.INumber<TC>
    {
        var (dataA, offsetsA, transA, ldA, denseA) = Operand<TA>(a, la, m, k);
        var (dataB, offsetsB, transB, ldB, denseB) = Operand<TB>(b, lb, k, n);
        using (denseA)
        using (denseB)
        {
            var batches = (int)batchShape.NumElements;
            var output = Output<TC>(outShape, outType, out var c);
            for (var i = 0; i < batches; i++)
                CpuGemm.Gemm(GemmKernelKind.Auto, transA, transB, m, n, k, TC.One, dataA.AsSpan(offsetsA[i]), ldA,
                    dataB.AsSpan(offsetsB[i]), ldB, TC.Zero, c.AsSpan((long)i * m * n, m * n), n);
            return output;
        }
    }

    /// <summary>
    /// The storage, the start of each batch matrix, and whether it is read transposed. A matrix whose last two
    /// dims are row-major (stride 1 across columns) or column-major (stride 1 across rows) is used in place;
    /// anything else is copied to a dense layout first.
    /// </summary>
    private (CpuBuffer<T> Data, long[] Offsets, bool Transposed, int Ld, Tensor? Dense) Operand<T>(Tensor x, Layout layout, int rows, int cols)
        where T : unmanaged
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
            Tensor dense;
            using (var view = x.ViewAs(layout)) dense = Contiguous(view);
            return Operand<T>(dense, dense.Layout, rows, cols) with { Dense = dense };
        }
        var batchLayout = new Layout(new Shape(layout.Shape.ToArray()[..batchRank].Append(1).ToArray()), [.. layout.Strides[..batchRank], 1], layout.Offset);
        var offsets = Strided.RowOffsets(batchLayout);
        return (Strided.Elements<T>(x), offsets, transposed, Math.Max(ld, 1), null);
    }
}
