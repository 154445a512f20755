using System.Diagnostics;
using StyleAlign.Engine.Cpu;

namespace StyleAlign.Bench.Harness;

/// <summary>One timed CPU GEMM shape: the best call, its GFLOP/s, and the GFLOP per CPU-second over all repeats.</summary>
public sealed record CpuGemmTiming(int M, int N, int K, int Repeats, double BestSeconds, double Gflops, double CpuGflops);

/// <summary>Times C = A·B (fp32, row-major) through the CPU backend's GEMM, for `bench gemm --device cpu`.</summary>
public static class CpuGemmBenchmark
{
    /// <summary>
    /// Best per-call time over the repeats, after one warm-up call that also JIT-compiles the kernels. Also the
    /// throughput per CPU-second of the process over all repeats, which other load on the cores skews far less.
    /// </summary>
    public static CpuGemmTiming Measure(int m, int n, int k, int repeat)
    {
        if (m < 1 || n < 1 || k < 1 || repeat < 1)
            throw new ArgumentException($"GEMM benchmark sizes and repeats must be positive, got {m}×{n}×{k} and {repeat}");
        var random = new Random(1234);
        var a = new float[(long)m * k];
        var b = new float[(long)k * n];
        var c = new float[(long)m * n];
        for (int i = 0; i < a.Length; i++) a[i] = random.NextSingle() - 0.5f;
        for (int i = 0; i < b.Length; i++) b[i] = random.NextSingle() - 0.5f;

        CpuGemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
        double best = double.MaxValue;
        var cpuStart = Environment.CpuUsage.TotalTime;
        for (int r = 0; r < repeat; r++)
        {
            long start = Stopwatch.GetTimestamp();
            CpuGemm.Sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        double cpuSeconds = (Environment.CpuUsage.TotalTime - cpuStart).TotalSeconds / repeat;
        double flops = 2.0 * m * n * (double)k;
        // Tiny products can finish inside one tick of the CPU-time clock; there is no rate to report then.
        double cpuGflops = cpuSeconds > 0 ? flops / cpuSeconds / 1e9 : double.NaN;
        return new CpuGemmTiming(m, n, k, repeat, best, flops / best / 1e9, cpuGflops);
    }
}
