using BenchmarkDotNet.Attributes;
using StyleAlign.Bench.Harness;
using StyleAlign.Engine.FusedOps.Attention;

namespace StyleAlign.Bench;

/// <summary>
/// Fused attention forward+backward against the eager reference on the CPU: the decoder shape (causal,
/// GQA), the vision tower's 64-token windows (head dim 80) and one long causal sequence.
/// </summary>
[MemoryDiagnoser]
public class AttentionBenchmarks
{
    private AttentionWorkload _workload = null!;

    [Params("decoder-causal-gqa", "vision-windows-d80", "long-causal")]
    public string Case { get; set; } = "decoder-causal-gqa";

    [GlobalSetup]
    public void Setup() => _workload = Case switch
    {
        "decoder-causal-gqa" => new AttentionWorkload(tokens: 512, headsQ: 8, headsKv: 2, headDim: 128, causal: true),
        "vision-windows-d80" => new AttentionWorkload(tokens: 1024, headsQ: 4, headsKv: 4, headDim: 80, causal: false, window: 64),
        "long-causal" => new AttentionWorkload(tokens: 2048, headsQ: 4, headsKv: 4, headDim: 64, causal: true),
        _ => throw new ArgumentException($"unknown attention benchmark case '{Case}'"),
    };

    [Benchmark(Baseline = true)]
    public object Eager() => _workload.Run(fused: false);

    [Benchmark]
    public object Fused() => _workload.Run(fused: true);

    [Benchmark]
    public object Decode() => FusedAttention.Decode(
        _workload.Q.Narrow(0, 0, 1), _workload.K.Unsqueeze(0), _workload.V.Unsqueeze(0), [_workload.Segments.TotalK]);
}
