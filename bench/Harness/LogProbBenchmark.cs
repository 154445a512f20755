using System.Diagnostics;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.LogProbs;

namespace StyleAlign.Bench.Harness;

/// <summary>
/// Forward + backward of the fused token log-probs against the full-logits path (logits, log_softmax, gather):
/// time, CPU time and peak extra memory of each, and their largest differences, as one report keyed by the names
/// `bench logprob --json` prints.
/// </summary>
public static class LogProbBenchmark
{
    /// <summary>Runs the benchmark and returns its report.</summary>
    public static Dictionary<string, object> Run(LogProbBenchOptions o)
    {
        using var scope = TensorScope.Begin();
        var small = LogProbBenchInputs.Create(8, 16, 1000, o.Device, 1);
        LogProbPaths.Fused(small.Hidden, small.Weight, small.Targets, small.Grad, 3);
        LogProbPaths.Naive(small.Hidden, small.Weight, small.Targets, small.Grad);

        var inputs = LogProbBenchInputs.Create(o.Tokens, o.Hidden, o.Vocab, o.Device, 7);
        var chunkRows = Math.Min(o.ChunkRows ?? Backends.For<IFusedLogProbs>(o.Device).DefaultChunkRows(o.Vocab, DType.F32), o.Tokens);

        var (fusedMs, fusedCpuMs, fused) = Timed(() => LogProbPaths.Fused(inputs.Hidden, inputs.Weight, inputs.Targets, inputs.Grad, chunkRows));
        var (naiveMs, naiveCpuMs, naive) = Timed(() => LogProbPaths.Naive(inputs.Hidden, inputs.Weight, inputs.Targets, inputs.Grad));
        var report = new Dictionary<string, object>
        {
            ["device"] = o.Device.ToString(),
            ["tokens"] = o.Tokens,
            ["hidden"] = o.Hidden,
            ["vocab"] = o.Vocab,
            ["chunk_rows"] = chunkRows,
            ["fused_ms"] = Math.Round(fusedMs, 1),
            ["naive_ms"] = Math.Round(naiveMs, 1),
            ["time_ratio"] = Math.Round(fusedMs / naiveMs, 3),
            // Process CPU time (all threads, GC included): steadier than wall time when the machine is shared.
            ["fused_cpu_ms"] = Math.Round(fusedCpuMs, 1),
            ["naive_cpu_ms"] = Math.Round(naiveCpuMs, 1),
            ["cpu_time_ratio"] = Math.Round(fusedCpuMs / naiveCpuMs, 3),
            ["max_abs_err"] = Measure.MaxAbsDiff(fused.LogProbs, naive.LogProbs),
            ["max_abs_err_grad_hidden"] = Measure.MaxAbsDiff(fused.GradHidden, naive.GradHidden),
            ["max_abs_err_grad_weight"] = Measure.MaxAbsDiff(fused.GradWeight, naive.GradWeight),
            ["fused_logits_bytes"] = (long)chunkRows * o.Vocab * 4,
            ["naive_logits_bytes"] = (long)o.Tokens * o.Vocab * 4,
            // What each path holds at its worst moment, counted from its buffers: the fused chunk, the saved lse and one
            // fp64-sized row buffer per worker; the naive log_softmax, its scattered gradient and the logits gradient.
            ["fused_peak_bytes_accounted"] = (long)chunkRows * o.Vocab * 4 + 4L * o.Tokens + (long)Environment.ProcessorCount * o.Vocab * 8,
            ["naive_peak_bytes_accounted"] = 3L * o.Tokens * o.Vocab * 4,
        };
        foreach (var r in new[] { fused, naive })
            foreach (var t in new[] { r.LogProbs, r.GradHidden, r.GradWeight }) t.Dispose();

        if (!o.SkipMemory)
        {
            var outputBytes = 4L * (o.Tokens + (long)o.Tokens * o.Hidden + (long)o.Vocab * o.Hidden);
            var fusedPeak = PeakExtraBytes(() => LogProbPaths.Fused(inputs.Hidden, inputs.Weight, inputs.Targets, inputs.Grad, chunkRows), outputBytes);
            var naivePeak = PeakExtraBytes(() => LogProbPaths.Naive(inputs.Hidden, inputs.Weight, inputs.Targets, inputs.Grad, collectFreed: true), outputBytes);
            report["fused_peak_bytes"] = fusedPeak;
            report["naive_peak_bytes"] = naivePeak;
            report["memory_ratio"] = Math.Round((double)naivePeak / Math.Max(fusedPeak, 1), 2);
            report["peak_method"] = "max managed heap (GC.GetTotalMemory, sampled every 1 ms, garbage included) minus the heap before the run and minus the outputs (log-probs, dH, dW); the naive path frees each [N,V] buffer as soon as it is dead and forces a collection";
        }
        return report;
    }

    private static (double WallMs, double CpuMs, LogProbGradients Result) Timed(Func<LogProbGradients> run)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        var result = run();
        // Reading the log-probs back waits for the device (a no-op on the CPU).
        result.LogProbs.ToDoubleArray();
        var wall = sw.Elapsed.TotalMilliseconds;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpuBefore).TotalMilliseconds, result);
    }

    private static long PeakExtraBytes(Func<LogProbGradients> run, long outputBytes)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = baseline;
        var done = false;
        var sampler = new Thread(() =>
        {
            while (!Volatile.Read(ref done))
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                Thread.Sleep(1);
            }
        }) { IsBackground = true };
        sampler.Start();
        var result = run();
        peak = Math.Max(peak, GC.GetTotalMemory(false));
        Volatile.Write(ref done, true);
        sampler.Join();
        peak = Math.Max(peak, GC.GetTotalMemory(false));
        foreach (var t in new[] { result.LogProbs, result.GradHidden, result.GradWeight }) t.Dispose();
        return Math.Max(0, peak - baseline - outputBytes);
    }
}

/// <summary>The sizes of one log-prob benchmark: N target rows of width d against a vocabulary of V; ChunkRows overrides the device default.</summary>
public sealed record LogProbBenchOptions(Device Device, int Tokens, int Hidden, int Vocab, int? ChunkRows, bool SkipMemory);

/// <summary>Random hidden states, an LM head scaled so logits have a spread of a few units, targets and an upstream gradient.</summary>
public sealed record LogProbBenchInputs(Tensor Hidden, Tensor Weight, Tensor Targets, Tensor Grad)
{
    public static LogProbBenchInputs Create(int n, int d, int vocab, Device device, ulong seed)
    {
        var rng = new RandomGenerator(seed);
        var hidden = Tensor.RandN(new Shape(n, d), rng, 1.0, DType.F32, device);
        var weight = Tensor.RandN(new Shape(vocab, d), rng, 2.0 / Math.Sqrt(d), DType.F32, device);
        var targets = Tensor.FromArray(Enumerable.Range(0, n).Select(_ => (long)rng.NextInt(vocab)).ToArray(), n).To(device);
        var grad = Tensor.RandN(new Shape(n), rng, 1.0, DType.F32, device);
        return new LogProbBenchInputs(hidden, weight, targets, grad);
    }
}
