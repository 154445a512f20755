using StyleAlign.Engine.Core;

namespace StyleAlign.Bench.Harness;

/// <summary>The sizes of one attention benchmark: a packed sequence of T tokens, optionally cut into windows of W.</summary>
public sealed record AttentionBenchSettings(Device Device, int Tokens, int Heads, int KvHeads, int HeadDim, bool Causal, int Window, int Repeat, bool SkipEager);

/// <summary>
/// Forward+backward of fused attention against the eager reference (MatMul → Softmax → MatMul with a materialized
/// mask): best time, CPU time, memory (accounted and sampled), throughput and the largest difference between the
/// two, as one report keyed by the names `bench attention --json` prints.
/// </summary>
public static class AttentionBenchmark
{
    /// <summary>Runs the benchmark; throws ArgumentException for sizes the workload refuses.</summary>
    public static Dictionary<string, object?> Run(AttentionBenchSettings s)
    {
        var workload = new AttentionWorkload(s.Tokens, s.Heads, s.KvHeads, s.HeadDim, s.Causal, s.Window, device: s.Device);
        var (fusedMs, fusedCpuMs, fusedSampled, fusedResult) = Measure.Best(() => workload.Run(fused: true), s.Repeat);
        var report = new Dictionary<string, object?>
        {
            ["device"] = s.Device.ToString(),
            ["seq"] = s.Tokens,
            ["heads"] = s.Heads,
            ["kv_heads"] = s.KvHeads,
            ["head_dim"] = s.HeadDim,
            ["causal"] = s.Causal,
            ["window"] = s.Window,
            ["segments"] = workload.Segments.Count,
            ["threads"] = Environment.ProcessorCount,
            ["fused_ms"] = Math.Round(fusedMs, 3),
            ["fused_cpu_ms"] = Math.Round(fusedCpuMs, 3),
            ["tflops"] = workload.FlopCount / (fusedMs * 1e-3) / 1e12,
            ["fused_peak_bytes"] = workload.FusedPeakBytes,
            ["fused_sampled_heap_bytes"] = fusedSampled,
            ["composite_peak_bytes"] = workload.CompositePeakBytes,
        };
        if (s.SkipEager) return report;
        var (eagerMs, eagerCpuMs, eagerSampled, eagerResult) = Measure.Best(() => workload.Run(fused: false), s.Repeat);
        report["composite_ms"] = Math.Round(eagerMs, 3);
        report["composite_cpu_ms"] = Math.Round(eagerCpuMs, 3);
        report["cpu_time_ratio"] = fusedCpuMs / eagerCpuMs;
        report["composite_sampled_heap_bytes"] = eagerSampled;
        report["time_ratio"] = fusedMs / eagerMs;
        report["memory_ratio"] = (double)workload.CompositePeakBytes / workload.FusedPeakBytes;
        report["max_abs_err"] = new[]
        {
            Measure.MaxAbsDiff(fusedResult.Output, eagerResult.Output), Measure.MaxAbsDiff(fusedResult.GradQ, eagerResult.GradQ),
            Measure.MaxAbsDiff(fusedResult.GradK, eagerResult.GradK), Measure.MaxAbsDiff(fusedResult.GradV, eagerResult.GradV),
        }.Max();
        return report;
    }
}
