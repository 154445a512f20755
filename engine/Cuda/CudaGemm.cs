using StyleAlign.Engine.Cuda.Interop;

namespace StyleAlign.Engine.Cuda;

/// <summary>Element type of a GEMM's operands (accumulation is always fp32).</summary>
public enum GemmElementType { F32, BF16, F16 }

/// <summary>
/// Row-major batched GEMM on cuBLAS: C[b] = alpha · op(A[b]) · op(B[b]) + beta · C[b], op(A) M×K, op(B) K×N, C M×N,
/// all dense row-major. cuBLAS is column-major, so the call computes Cᵀ = op(B)ᵀ · op(A)ᵀ, which needs no copies.
/// C has the type of A and B unless <c>outputType</c> says otherwise (bf16 or f16 operands may write an fp32 C, so
/// products of bf16 operands are summed into fp32 results without a rounding per call).
/// </summary>
public static unsafe class CudaGemm
{
    /// <summary>
    /// Whether f32 GEMMs may run on TF32 tensor cores (inputs rounded to 10 mantissa bits, fp32 accumulation). Off by
    /// default, so f32 means f32; set for a whole process by <c>--tf32</c>, as PyTorch's <c>allow_tf32</c> flag is.
    /// </summary>
    public static bool AllowTf32 { get; set; }

    /// <summary>The cuBLAS compute type of a GEMM whose operands are <paramref name="type"/>: always fp32 accumulation.</summary>
    internal static int ComputeType(GemmElementType type) =>
        type == GemmElementType.F32 && AllowTf32 ? Cublas.Compute32FFastTF32 : Cublas.Compute32F;

    public static void RowMajor(CudaContext context, GemmElementType type, bool transposeA, bool transposeB,
        int m, int n, int k, ulong a, ulong b, ulong c,
        int batch = 1, long strideA = 0, long strideB = 0, long strideC = 0, float alpha = 1f, float beta = 0f, GemmElementType? outputType = null)
    {
        if (m <= 0 || n <= 0 || k <= 0 || batch <= 0)
            throw new ArgumentException($"GEMM sizes must be positive: M={m}, N={n}, K={k}, batch={batch}.");
        var dataType = CublasType(type);
        var outputDataType = CublasType(outputType ?? type);
        if (outputDataType != dataType && outputDataType != Cublas.DataR32F)
            throw new ArgumentException($"a GEMM of {type} operands writes {type} or F32, not {outputType}");
        // Row-major X (r×c) is column-major Xᵀ with leading dimension c.
        var ldb = transposeB ? k : n; // B stored K×N (or N×K when transposed)
        var lda = transposeA ? m : k; // A stored M×K (or K×M when transposed)
        var handle = context.CublasHandle;
        context.MakeCurrent();
        CudaCheck.Cublas(Cublas.cublasGemmStridedBatchedEx(handle,
            transposeB ? Cublas.OpT : Cublas.OpN, transposeA ? Cublas.OpT : Cublas.OpN, n, m, k,
            &alpha, b, dataType, ldb, strideB, a, dataType, lda, strideA,
            &beta, c, outputDataType, n, strideC, batch, ComputeType(type), Cublas.GemmDefault));
    }

    private static int CublasType(GemmElementType type) => type switch
    {
        GemmElementType.F32 => Cublas.DataR32F,
        GemmElementType.BF16 => Cublas.DataR16BF,
        _ => Cublas.DataR16F,
    };
}
