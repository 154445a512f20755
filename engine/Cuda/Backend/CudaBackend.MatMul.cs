using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cuda.Backend;

// Batched matmul through cuBLAS: operands cuBLAS can read in place are passed as they are, others copied dense.
public sealed partial class CudaBackend
{
    public Tensor MatMul(Tensor a, Tensor b)
    {
        if (a.DType != b.DType) throw new ArgumentException($"matmul of {a.DType} and {b.DType}");
        var type = a.DType switch
        {
            DType.F32 => GemmElementType.F32,
            DType.BF16 => GemmElementType.BF16,
            _ => throw new NotSupportedException($"matmul on CUDA needs F32 or BF16, got {a.DType}"),
        };
        if (a.Rank < 2 || b.Rank < 2) throw new ArgumentException($"matmul needs rank ≥ 2 operands, got {a.Shape} and {b.Shape} (unsqueeze vectors first)");
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        if (b.Shape[^2] != k) throw new ArgumentException($"matmul inner dimensions differ: {a.Shape} × {b.Shape}");
        var batchShape = Shape.Broadcast(new Shape(a.Shape.ToArray()[..^2]), new Shape(b.Shape.ToArray()[..^2]));
        var outShape = new Shape([.. batchShape, m, n]);
        if (outShape.NumElements == 0) return NewTensor(outShape, a.DType);
        if (k == 0) return Fill(outShape, a.DType, 0);
        using var scratch = new Scratch(this);
        var (pa, opA) = GemmInput(scratch, a, a.Layout.Expand(new Shape([.. batchShape, m, k])), m, k);
        var (pb, opB) = GemmInput(scratch, b, b.Layout.Expand(new Shape([.. batchShape, k, n])), k, n);
        var c = NewTensor(outShape, a.DType);
        var batch = batchShape.NumElements;
        if (batch > int.MaxValue) throw new NotSupportedException($"matmul on CUDA: {batch} batch matrices exceed cuBLAS's int count");
        CudaGemm.RowMajor(Context, type, opA.Transposed, opB.Transposed, m, n, k, pa, pb, Address(c),
            (int)batch, opA.BatchStride, opB.BatchStride, (long)m * n);
        return c;
    }

    /// <summary>The operand's address and how cuBLAS reads it; a view cuBLAS cannot read in place is copied dense first.</summary>
    private (ulong Address, GemmOperand Plan) GemmInput(Scratch scratch, Tensor x, Layout expanded, int rows, int cols)
    {
        if (GemmOperand.TryPlan(expanded, rows, cols) is { } plan) return (Storage(x).At(expanded.Offset), plan);
        var dense = scratch.DenseOf(x, expanded);
        return (Address(dense), GemmOperand.TryPlan(dense.Layout, rows, cols)!.Value);
    }
}
