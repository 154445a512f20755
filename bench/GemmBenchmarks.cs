using BenchmarkDotNet.Attributes;
using StyleAlign.Engine.Cpu;

namespace StyleAlign.Bench;

/// <summary>
/// CPU GEMM throughput on square sizes and on the projections of a 2048-wide decoder layer over T = 512 tokens
/// (q/o: 512×2048×2048, MLP up/gate: 512×11008×2048, MLP down: 512×2048×11008). GFLOP/s = 2·M·N·K / mean time.
/// </summary>
[MemoryDiagnoser]
public class GemmBenchmarks
{
    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];
    private double[] _ad = [];
    private double[] _bd = [];
    private double[] _cd = [];

    /// <summary>M×N×K of C[M×N] = A[M×K]·B[K×N].</summary>
    [Params("256x256x256", "512x512x512", "1024x1024x1024", "2048x2048x2048",
        "512x2048x2048", "512x11008x2048", "512x2048x11008")]
    public string Shape { get; set; } = "1024x1024x1024";

    private int M => int.Parse(Shape.Split('x')[0]);
    private int N => int.Parse(Shape.Split('x')[1]);
    private int K => int.Parse(Shape.Split('x')[2]);

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _a = Enumerable.Range(0, M * K).Select(_ => random.NextSingle() - 0.5f).ToArray();
        _b = Enumerable.Range(0, K * N).Select(_ => random.NextSingle() - 0.5f).ToArray();
        _c = new float[M * N];
        _ad = _a.Select(v => (double)v).ToArray();
        _bd = _b.Select(v => (double)v).ToArray();
        _cd = new double[M * N];
    }

    [Benchmark(Baseline = true, Description = "Sgemm A·B")]
    public void Sgemm() => CpuGemm.Sgemm(false, false, M, N, K, 1f, _a, K, _b, N, 0f, _c, N);

    /// <summary>The linear-layer layout: weights stored [N×K] (out × in) and read transposed.</summary>
    [Benchmark(Description = "Sgemm A·Bᵀ")]
    public void SgemmTransposedB() => CpuGemm.Sgemm(false, true, M, N, K, 1f, _a, K, _b, K, 0f, _c, N);

    [Benchmark(Description = "Dgemm A·B")]
    public void Dgemm() => CpuGemm.Dgemm(false, false, M, N, K, 1.0, _ad, K, _bd, N, 0.0, _cd, N);
}
