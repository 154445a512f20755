using System.Diagnostics;
using StyleAlign.Engine.Core;

namespace StyleAlign.Bench.Harness;

/// <summary>Clocks and comparisons the benchmarks share.</summary>
public static class Measure
{
    /// <summary>
    /// Best wall time and best process CPU time (all threads) of the runs, and the largest growth of the managed heap
    /// seen while they ran (sampled every 2 ms); returns the last run's result.
    /// </summary>
    public static (double Milliseconds, double CpuMilliseconds, long SampledHeapBytes, T Result) Best<T>(Func<T> run, int repeat)
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

    /// <summary>The largest |a − b| over the elements of two tensors of one shape, in float64.</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        var x = a.ToFloatArray();
        var y = b.ToFloatArray();
        var max = 0.0;
        for (var i = 0; i < x.Length; i++) max = Math.Max(max, Math.Abs((double)x[i] - y[i]));
        return max;
    }
}
