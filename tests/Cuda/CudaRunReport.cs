using System.Threading;
using NUnit.Framework;
using StyleAlign.Engine.Cuda;

namespace StyleAlign.Tests.Cuda
{
    /// <summary>Counts the CUDA-vs-CPU comparisons the tests make, so a run's log says how many there were and where.</summary>
    internal static class CudaComparisons
    {
        private static long _count;

        public static long Count => Interlocked.Read(ref _count);

        /// <summary>Called by every comparison of a CUDA result with the CPU's (or with a host formula's).</summary>
        public static void Record() => Interlocked.Increment(ref _count);
    }
}

/// <summary>
/// After the whole run (outside any namespace, so it spans every fixture): one line naming the device the CUDA tests
/// ran on — a GPU or the CPU stand-in — and how many CUDA-vs-CPU comparisons they made.
/// </summary>
[SetUpFixture]
public sealed class CudaRunReport
{
    [OneTimeTearDown]
    public void Report()
    {
        var comparisons = StyleAlign.Tests.Cuda.CudaComparisons.Count;
        if (comparisons == 0 && !CudaContext.IsAvailable) return;
        var probe = CudaProbe.Current;
        var device = !CudaContext.IsAvailable ? $"no device ({CudaContext.UnavailableReason})"
            : probe.StandIn is not null ? $"cuda:0 {CudaContext.Get(0).DeviceName} — the CPU stand-in, not a GPU"
            : $"cuda:0 {CudaContext.Get(0).DeviceName} (a GPU; driver {probe.DriverVersion})";
        TestContext.Progress.WriteLine($"cuda-run: {comparisons} CUDA-vs-CPU comparisons on {device}");
    }
}
