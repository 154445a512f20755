using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.LogProbs;

namespace StyleAlign.Cli.Verbs.Bench;

/// <summary>
/// <c>engine-cli bench logprob</c>: forward + backward of the fused token log-probs against the full-logits path
/// (logits, log_softmax, gather), timing and peak extra memory of each.
/// </summary>
public sealed class LogProbBench : IBenchSubverb
{
    public Command Build()
    {
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N]", DefaultValueFactory = _ => "cpu" };
        var tokens = new Option<int>("--tokens") { Description = "rows N (completion target tokens)", DefaultValueFactory = _ => 2048 };
        var hidden = new Option<int>("--hidden") { Description = "hidden size d", DefaultValueFactory = _ => 256 };
        var vocab = new Option<int>("--vocab") { Description = "vocabulary size V", DefaultValueFactory = _ => 151936 };
        var chunkRows = new Option<int?>("--chunk-rows") { Description = "rows per chunk (default: the device's budget)" };
        var skipMemory = new Option<bool>("--skip-memory") { Description = "time only; skip the memory-sampling runs" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var command = new Command("logprob", "Fused token log-probs vs full logits + log_softmax + gather, forward and backward.");
        foreach (var o in new Option[] { device, tokens, hidden, vocab, chunkRows, skipMemory, json }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var options = new LogProbBenchOptions(Device.Parse(parse.GetValue(device)!), parse.GetValue(tokens), parse.GetValue(hidden), parse.GetValue(vocab), parse.GetValue(chunkRows), parse.GetValue(skipMemory));
            if (options.Tokens <= 0 || options.Hidden <= 0 || options.Vocab <= 0)
            {
                Console.Error.WriteLine("bench logprob: --tokens, --hidden and --vocab must be positive");
                return 2;
            }
            if (!options.Device.IsCpu)
            {
                try
                {
                    Backends.For<IFusedLogProbs>(options.Device);
                    Backends.For(options.Device);
                }
                catch (InvalidOperationException e)
                {
                    Console.Error.WriteLine($"bench logprob: {e.Message}");
                    return 2;
                }
            }
            var report = Run(options);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report));
            else foreach (var (key, value) in report) Console.WriteLine($"{key,-26} {value}");
            return 0;
        });
        return command;
    }

    internal static Dictionary<string, object> Run(LogProbBenchOptions o)
    {
        using var warmup = TensorScope.Begin();
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
            ["max_abs_err"] = MaxAbsDiff(fused.LogProbs, naive.LogProbs),
            ["max_abs_err_grad_hidden"] = MaxAbsDiff(fused.GradHidden, naive.GradHidden),
            ["max_abs_err_grad_weight"] = MaxAbsDiff(fused.GradWeight, naive.GradWeight),
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

    private static double MaxAbsDiff(Tensor a, Tensor b)
    {
        var x = a.ToFloatArray();
        var y = b.ToFloatArray();
        var max = 0.0;
        for (var i = 0; i < x.Length; i++) max = Math.Max(max, Math.Abs((double)x[i] - y[i]));
        return max;
    }
}

internal sealed record LogProbBenchOptions(Device Device, int Tokens, int Hidden, int Vocab, int? ChunkRows, bool SkipMemory);

/// <summary>Random hidden states, an LM head scaled so logits have a spread of a few units, targets and an upstream gradient.</summary>
internal sealed record LogProbBenchInputs(Tensor Hidden, Tensor Weight, Tensor Targets, Tensor Grad)
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
