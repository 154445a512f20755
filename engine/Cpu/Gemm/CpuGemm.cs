using System.Numerics;

namespace StyleAlign.Engine.Cpu;

/// <summary>
/// General matrix multiply on the CPU over row-major spans: C = alpha·op(A)·op(B) + beta·C, where op(A) is
/// m×k and op(B) is k×n. A transposed operand is read through its strides, so callers never copy.
/// <list type="bullet">
/// <item>transA = false: A is m×k with row stride lda ≥ k; transA = true: A is stored k×m with lda ≥ m.</item>
/// <item>transB = false: B is k×n with row stride ldb ≥ n; transB = true: B is stored n×k with ldb ≥ k.</item>
/// <item>C is m×n with row stride ldc ≥ n. With beta = 0, C is overwritten (NaNs in it do not propagate).</item>
/// </list>
/// </summary>
public static unsafe partial class CpuGemm
{
    /// <summary>Below this many multiply-adds a plain loop beats packing.</summary>
    private const long TinyWork = 16 * 16 * 16;

    /// <summary>Below this many multiply-adds the blocked path runs on the calling thread only.</summary>
    private const long SingleThreadWork = 96L * 96 * 96;

    /// <summary>Single-precision GEMM; see the type remarks for the layout.</summary>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Gemm(GemmKernelKind.Auto, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>Double-precision GEMM; same contract as <see cref="Sgemm"/>.</summary>
    public static void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc)
        => Gemm(GemmKernelKind.Auto, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>
    /// The product with each operand stored as <typeparamref name="T"/> or as a type widened to it while panels
    /// are packed (<see cref="GemmElement"/>); the accumulation and C are in <typeparamref name="T"/>.
    /// </summary>
    internal static void Gemm<TA, TB, T>(GemmKernelKind kind, bool transA, bool transB, int m, int n, int k, T alpha,
        ReadOnlySpan<TA> a, int lda, ReadOnlySpan<TB> b, int ldb, T beta, Span<T> c, int ldc)
        where TA : unmanaged where TB : unmanaged where T : unmanaged, INumber<T>
    {
        GemmElement.RequireWidenable<TA, T>("A");
        GemmElement.RequireWidenable<TB, T>("B");
        Validate(transA, transB, m, n, k, a.Length, lda, b.Length, ldb, c.Length, ldc);
        if (m == 0 || n == 0) return;
        fixed (TA* pa = a)
        fixed (TB* pb = b)
        fixed (T* pc = c)
        {
            Multiply(kind, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc, Environment.ProcessorCount);
        }
    }

    /// <summary>The product on raw pointers, already validated; <paramref name="threads"/> caps the parallelism.</summary>
    internal static void Multiply<TA, TB, T>(GemmKernelKind kind, bool transA, bool transB, int m, int n, int k, T alpha,
        TA* a, int lda, TB* b, int ldb, T beta, T* c, int ldc, int threads)
        where TA : unmanaged where TB : unmanaged where T : unmanaged, INumber<T>
    {
        ScaleC(m, n, beta, c, ldc);
        if (k == 0 || alpha == T.Zero) return;

        var opA = transA ? new StridedMatrix<TA>(a, 1, lda) : new StridedMatrix<TA>(a, lda, 1);
        var opB = transB ? new StridedMatrix<TB>(b, 1, ldb) : new StridedMatrix<TB>(b, ldb, 1);
        long work = (long)m * n * k;
        if (work <= TinyWork && kind == GemmKernelKind.Auto)
        {
            MultiplyNaive(m, n, k, alpha, opA, opB, c, ldc);
            return;
        }
        if (work < SingleThreadWork) threads = 1;
        GemmDriver.Accumulate(kind, m, n, k, alpha, opA, opB, c, ldc, threads);
    }

    private static void ScaleC<T>(int m, int n, T beta, T* c, int ldc) where T : unmanaged, INumber<T>
    {
        if (beta == T.One) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<T>(c + (nint)i * ldc, n);
            if (beta == T.Zero) row.Clear();
            else for (int j = 0; j < n; j++) row[j] *= beta;
        }
    }

    private static void MultiplyNaive<TA, TB, T>(int m, int n, int k, T alpha, StridedMatrix<TA> a, StridedMatrix<TB> b, T* c, int ldc)
        where TA : unmanaged where TB : unmanaged where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T sum = T.Zero;
                for (int p = 0; p < k; p++) sum += GemmElement.Widen<TA, T>(*a.At(i, p)) * GemmElement.Widen<TB, T>(*b.At(p, j));
                c[(nint)i * ldc + j] += alpha * sum;
            }
    }

    private static void Validate(bool transA, bool transB, int m, int n, int k,
        long aLength, int lda, long bLength, int ldb, long cLength, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"GEMM dimensions must be non-negative, got m={m}, n={n}, k={k}.");
        CheckOperand("A", transA ? k : m, transA ? m : k, aLength, lda, transA ? "k×m (transA)" : "m×k");
        CheckOperand("B", transB ? n : k, transB ? k : n, bLength, ldb, transB ? "n×k (transB)" : "k×n");
        CheckOperand("C", m, n, cLength, ldc, "m×n");
    }

    /// <summary>Checks a stored rows×cols matrix with row stride ld fits in a buffer of the given length.</summary>
    private static void CheckOperand(string name, int rows, int cols, long length, int ld, string shape)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"GEMM operand {name} is stored {shape} = {rows}×{cols}; its leading dimension {ld} must be at least {Math.Max(1, cols)}.");
        if (rows == 0 || cols == 0) return;
        long needed = (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"GEMM operand {name} is stored {shape} = {rows}×{cols} with leading dimension {ld}: it needs {needed} elements but the span holds {length}.");
    }
}
