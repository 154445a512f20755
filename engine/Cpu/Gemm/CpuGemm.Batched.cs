using System.Numerics;

namespace StyleAlign.Engine.Cpu;

public static unsafe partial class CpuGemm
{
    /// <summary>Above this many multiply-adds per problem, one product fills every core by itself.</summary>
    private const long ParallelPerProblemWork = 256L * 256 * 256;

    /// <summary>
    /// Strided-batched single-precision GEMM: for b in [0, batch), C_b = alpha·op(A_b)·op(B_b) + beta·C_b with
    /// A_b = a[b·strideA..], B_b = b[b·strideB..], C_b = c[b·strideC..]. A stride of 0 broadcasts that operand
    /// (e.g. one weight matrix for every batch item). The C problems must not overlap, so strideC is 0 only
    /// when batch is 1.
    /// </summary>
    public static void SgemmBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc,
        int batch, long strideA, long strideB, long strideC)
        => GemmBatched(GemmKernelKind.Auto, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
            batch, strideA, strideB, strideC);

    /// <summary>Strided-batched double-precision GEMM; same contract as <see cref="SgemmBatched"/>.</summary>
    public static void DgemmBatched(bool transA, bool transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc,
        int batch, long strideA, long strideB, long strideC)
        => GemmBatched(GemmKernelKind.Auto, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
            batch, strideA, strideB, strideC);

    internal static void GemmBatched<TA, TB, T>(GemmKernelKind kind, bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<TA> a, int lda, ReadOnlySpan<TB> b, int ldb, T beta, Span<T> c, int ldc,
        int batch, long strideA, long strideB, long strideC)
        where TA : unmanaged where TB : unmanaged where T : unmanaged, INumber<T>
    {
        GemmElement.RequireWidenable<TA, T>("A");
        GemmElement.RequireWidenable<TB, T>("B");
        if (batch < 0) throw new ArgumentOutOfRangeException(nameof(batch), $"GEMM batch count must be non-negative, got {batch}.");
        if (strideA < 0 || strideB < 0 || strideC < 0)
            throw new ArgumentOutOfRangeException(nameof(strideA), $"GEMM batch strides must be non-negative, got A={strideA}, B={strideB}, C={strideC}.");
        if (batch > 1 && strideC == 0 && m > 0 && n > 0)
            throw new ArgumentException("GEMM batch stride of C is 0 with more than one batch item: every item would write the same C.", nameof(strideC));
        if (batch == 0) return;

        long last = batch - 1;
        Validate(transA, transB, m, n, k, ShiftedLength(a.Length, last * strideA, "A"), lda,
            ShiftedLength(b.Length, last * strideB, "B"), ldb, ShiftedLength(c.Length, last * strideC, "C"), ldc);
        if (m == 0 || n == 0) return;

        int threads = Environment.ProcessorCount;
        long work = (long)m * n * k;
        fixed (TA* pa = a)
        fixed (TB* pb = b)
        fixed (T* pc = c)
        {
            if (batch == 1 || threads == 1 || work >= ParallelPerProblemWork)
            {
                for (long item = 0; item < batch; item++)
                    Multiply(kind, transA, transB, m, n, k, alpha, pa + item * strideA, lda, pb + item * strideB, ldb,
                        beta, pc + item * strideC, ldc, threads);
                return;
            }

            // Many small products (attention heads): one product per thread beats splitting each one.
            nint baseA = (nint)pa, baseB = (nint)pb, baseC = (nint)pc;
            Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = threads }, item =>
                Multiply(kind, transA, transB, m, n, k, alpha, (TA*)baseA + item * strideA, lda, (TB*)baseB + item * strideB, ldb,
                    beta, (T*)baseC + item * strideC, ldc, threads: 1));
        }
    }

    /// <summary>The span length left after skipping to the last batch item, for the per-item bounds check.</summary>
    private static long ShiftedLength(long length, long lastOffset, string operand)
    {
        if (lastOffset > length)
            throw new ArgumentException($"GEMM operand {operand}: the last batch item starts at element {lastOffset} but the span holds only {length}.");
        return length - lastOffset;
    }
}
