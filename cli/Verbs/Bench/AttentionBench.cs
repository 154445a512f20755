using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using StyleAlign.Engine.FusedOps.Attention;
using StyleAlign.Engine.Core;

namespace StyleAlign.Cli;

/// <summary>
/// <c>engine-cli bench attention</c>: forward+backward of fused attention against the composite
/// (MatMul → Softmax → MatMul with a materialized mask), with time, memory, throughput and the largest
/// difference between the two.
/// </summary>
public sealed class AttentionBench : IBenchSubverb
{
    public Command Build()
    {
        var device = new Option<string>("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        var seq = new Option<int>("--seq") { Description = "T, tokens in the packed sequence", DefaultValueFactory = _ => 1024 };
        var heads = new Option<int>("--heads") { Description = "query heads", DefaultValueFactory = _ => 4 };
        var kvHeads = new Option<int?>("--kv-heads") { Description = "key/value heads (default: --heads)" };
        var headDim = new Option<int>("--head-dim") { Description = "D", DefaultValueFactory = _ => 64 };
        var causal = new Option<bool>("--causal") { Description = "causal mask" };
        var window = new Option<int>("--window") { Description = "split the sequence into segments of W tokens (0: one segment)", DefaultValueFactory = _ => 0 };
        var repeat = new Option<int>("--repeat") { Description = "timed runs of each; the best is reported", DefaultValueFactory = _ => 1 };
        var skipComposite = new Option<bool>("--skip-composite") { Description = "time only the fused op (the composite needs O(T²) memory)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var command = new Command("attention", "Time fused attention (forward+backward) against the composite reference.");
        foreach (var option in new Option[] { device, seq, heads, kvHeads, headDim, causal, window, repeat, skipComposite, json }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            var settings = new Settings(parse.GetValue(device) ?? "cpu", parse.GetValue(seq), parse.GetValue(heads), parse.GetValue(kvHeads) ?? parse.GetValue(heads),
                parse.GetValue(headDim), parse.GetValue(causal), parse.GetValue(window), Math.Max(1, parse.GetValue(repeat)), parse.GetValue(skipComposite));
            return Run(settings, parse.GetValue(json));
        });
        return command;
    }

    private sealed record Settings(string Device, int Tokens, int Heads, int KvHeads, int HeadDim, bool Causal, int Window, int Repeat, bool SkipComposite);

    private static int Run(Settings s, bool json)
    {
        Device device;
        try
        {
            device = Device.Parse(s.Device);
            if (!device.IsCpu) Backends.For<IFusedAttention>(device);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or NotSupportedException)
        {
            Console.Error.WriteLine($"bench attention: {e.Message}");
            return 2;
        }
        AttentionWorkload workload;
        try
        {
            workload = new AttentionWorkload(s.Tokens, s.Heads, s.KvHeads, s.HeadDim, s.Causal, s.Window, device: device);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"bench attention: {e.Message}");
            return 2;
        }

        var (fusedMs, fusedCpuMs, fusedSampled, fusedResult) = Time(() => workload.Run(fused: true), s.Repeat);
        var report = new Dictionary<string, object?>
        {
            ["device"] = device.ToString(),
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
        if (!s.SkipComposite)
        {
            var (compositeMs, compositeCpuMs, compositeSampled, compositeResult) = Time(() => workload.Run(fused: false), s.Repeat);
            report["composite_ms"] = Math.Round(compositeMs, 3);
            report["composite_cpu_ms"] = Math.Round(compositeCpuMs, 3);
            report["cpu_time_ratio"] = fusedCpuMs / compositeCpuMs;
            report["composite_sampled_heap_bytes"] = compositeSampled;
            report["time_ratio"] = fusedMs / compositeMs;
            report["memory_ratio"] = (double)workload.CompositePeakBytes / workload.FusedPeakBytes;
            report["max_abs_err"] = new[]
            {
                MaxAbsDiff(fusedResult.Output, compositeResult.Output), MaxAbsDiff(fusedResult.GradQ, compositeResult.GradQ),
                MaxAbsDiff(fusedResult.GradK, compositeResult.GradK), MaxAbsDiff(fusedResult.GradV, compositeResult.GradV),
            }.Max();
        }
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(report));
            return 0;
        }
        foreach (var (key, value) in report) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key,-30} {value}"));
        return 0;
    }

    /// <summary>Best wall time and best process CPU time (all threads) of the runs, and the largest growth of the managed heap seen while they ran (sampled every 2 ms).</summary>
    private static (double Milliseconds, double CpuMilliseconds, long SampledHeapBytes, T Result) Time<T>(Func<T> run, int repeat)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        using var stop = new CancellationTokenSource();
        var sampler = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false) - baseline);
                Thread.Sleep(2);
            }
        }) { IsBackground = true };
        sampler.Start();
        var best = double.MaxValue;
        var bestCpu = double.MaxValue;
        T result = default!;
        var process = Process.GetCurrentProcess();
        for (var i = 0; i < repeat; i++)
        {
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            result = run();
            best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
            process.Refresh();
            bestCpu = Math.Min(bestCpu, (process.TotalProcessorTime - cpuBefore).TotalMilliseconds);
        }
        stop.Cancel();
        sampler.Join();
        return (best, bestCpu, peak, result);
    }

    private static double MaxAbsDiff(Tensor a, Tensor b)
    {
        var x = a.ToFloatArray();
        var y = b.ToFloatArray();
        var max = 0.0;
        for (var i = 0; i < x.Length; i++) max = Math.Max(max, Math.Abs(x[i] - y[i]));
        return max;
    }
}
