using System.Diagnostics;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;

namespace StyleAlign.Bench.Harness;

/// <summary>How the operands of a timed CPU GEMM are stored; C is always float.</summary>
public enum CpuGemmInputs
{
    /// <summary>A and B float.</summary>
    F32,

    /// <summary>A and B bf16, widened to float while packing.</summary>
    Bf16,

    /// <summary>A float (activations), B bf16 (a frozen weight): the linear layer of a bf16 checkpoint.</summary>
    F32TimesBf16,
}

/// <summary>One timed CPU GEMM shape: best call, and the rate per CPU-second of the process.</summary>
public sealed record CpuGemmTiming(int M, int N, int K, CpuGemmInputs Inputs, bool TransposedB, int Repeats,
    double BestSeconds, double CpuSecondsPerCall)
{
    public double Gflops => 2.0 * M * N * K / BestSeconds / 1e9;

    /// <summary>Throughput per CPU-second, which other load on the cores skews far less; NaN when the product
    /// finished inside one tick of the CPU-time clock.</summary>
    public double CpuGflops => CpuSecondsPerCall > 0 ? 2.0 * M * N * K / CpuSecondsPerCall / 1e9 : double.NaN;
}

/// <summary>Times C = A·op(B) through <see cref="CpuGemm"/>, for `bench gemm --device cpu`.</summary>
public static class CpuGemmBenchmark
{
    /// <summary>
    /// Best per-call time over the repeats, after one warm-up call that also JIT-compiles the kernels. With
    /// <paramref name="transposedB"/>, B is stored n×k and read transposed, as a linear layer reads its weight.
    /// </summary>
    public static CpuGemmTiming Measure(int m, int n, int k, CpuGemmInputs inputs, bool transposedB, int repeat)
    {
        if (m < 1 || n < 1 || k < 1 || repeat < 1)
            throw new ArgumentException($"GEMM benchmark sizes and repeats must be positive, got {m}×{n}×{k} and {repeat}");
        var random = new Random(1234);
        var a = RandomMatrix(random, (long)m * k);
        var b = RandomMatrix(random, (long)k * n);
        var c = new float[(long)m * n];
        int ldb = transposedB ? k : n;
        Action gemm = inputs switch
        {
            CpuGemmInputs.F32 => () => CpuGemm.Sgemm(false, transposedB, m, n, k, 1f, a, k, b, ldb, 0f, c, n),
            CpuGemmInputs.Bf16 => Bf16Gemm(m, n, k, ToBf16(a), k, ToBf16(b), ldb, transposedB, c),
            CpuGemmInputs.F32TimesBf16 => Bf16Gemm(m, n, k, a, k, ToBf16(b), ldb, transposedB, c),
            _ => throw new ArgumentOutOfRangeException(nameof(inputs), inputs, "unknown GEMM input storage"),
        };

        gemm();
        double best = double.MaxValue;
        var cpuStart = Environment.CpuUsage.TotalTime;
        for (int r = 0; r < repeat; r++)
        {
            long start = Stopwatch.GetTimestamp();
            gemm();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        double cpuSeconds = (Environment.CpuUsage.TotalTime - cpuStart).TotalSeconds / repeat;
        return new CpuGemmTiming(m, n, k, inputs, transposedB, repeat, best, cpuSeconds);
    }

    private static Action Bf16Gemm<TA>(int m, int n, int k, TA[] a, int lda, ushort[] b, int ldb, bool transposedB, float[] c)
        where TA : unmanaged
        => () => CpuGemm.SgemmBf16<TA, ushort>(false, transposedB, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);

    private static float[] RandomMatrix(Random random, long count)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = random.NextSingle() - 0.5f;
        return values;
    }

    private static ushort[] ToBf16(float[] values) => Array.ConvertAll(values, BFloat16Bits.FromSingle);
}
