using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cuda.Backend;

/// <summary>
/// How one matmul operand of layout [batch..., rows, cols] can be handed to cuBLAS without a copy: each batch
/// matrix dense row-major (or dense column-major, passed as a transpose flag), and the batch matrices one
/// stride apart (0 when broadcast). Null from <see cref="TryPlan"/> means the operand must be copied first.
/// </summary>
public readonly record struct GemmOperand(bool Transposed, long BatchStride)
{
    public static GemmOperand? TryPlan(Layout layout, int rows, int cols)
    {
        if (layout.Rank < 2) throw new ArgumentException($"a matmul operand needs rank ≥ 2, got {layout.Shape}");
        var rs = layout.Strides[^2];
        var cs = layout.Strides[^1];
        bool transposed;
        if ((cols == 1 || cs == 1) && (rows == 1 || rs == cols)) transposed = false;
        else if ((rows == 1 || rs == 1) && (cols == 1 || cs == rows)) transposed = true;
        else return null;
        var batchStride = UniformBatchStride(layout, rows * (long)cols);
        return batchStride is null ? null : new GemmOperand(transposed, batchStride.Value);
    }

    /// <summary>One stride that steps through every batch matrix in row-major batch order, or null when none does.</summary>
    private static long? UniformBatchStride(Layout layout, long matrixElements)
    {
        var batchDims = Enumerable.Range(0, layout.Rank - 2).Where(d => layout.Shape[d] != 1).ToArray();
        if (batchDims.Length == 0) return matrixElements;
        if (batchDims.All(d => layout.Strides[d] == 0)) return 0;
        var stride = layout.Strides[batchDims[^1]];
        if (stride == 0) return null; // broadcast inside, real outside: no single stride
        var expected = stride;
        for (var i = batchDims.Length - 1; i >= 0; i--)
        {
            var d = batchDims[i];
            if (layout.Strides[d] != expected) return null;
            expected *= layout.Shape[d];
        }
        return stride;
    }
}
