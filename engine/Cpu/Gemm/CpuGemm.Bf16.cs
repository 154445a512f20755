namespace StyleAlign.Engine.Cpu;

public static partial class CpuGemm
{
    /// <summary>
    /// Single-precision GEMM whose operands may be stored as bf16: each of <typeparamref name="TA"/> and
    /// <typeparamref name="TB"/> is <see cref="float"/> or <see cref="ushort"/> holding bf16 bits (the engine's BF16
    /// storage). bf16 values are widened to float exactly while the panels are packed; products and sums are float,
    /// C is float. Same layout contract as <see cref="Sgemm"/>, transposed views included. A span may wrap native
    /// memory (a memory-mapped checkpoint, say): nothing is copied beyond the packed panels.
    /// </summary>
    public static void SgemmBf16<TA, TB>(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<TA> a, int lda, ReadOnlySpan<TB> b, int ldb, float beta, Span<float> c, int ldc)
        where TA : unmanaged where TB : unmanaged
        => Gemm(GemmKernelKind.Auto, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>Strided-batched <see cref="SgemmBf16{TA, TB}"/>; batch strides as in <see cref="SgemmBatched"/>.</summary>
    public static void SgemmBf16Batched<TA, TB>(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<TA> a, int lda, ReadOnlySpan<TB> b, int ldb, float beta, Span<float> c, int ldc,
        int batch, long strideA, long strideB, long strideC)
        where TA : unmanaged where TB : unmanaged
        => GemmBatched(GemmKernelKind.Auto, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
            batch, strideA, strideB, strideC);
}
