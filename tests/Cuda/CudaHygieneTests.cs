using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;
using static StyleAlign.Tests.Cuda.Conformance.Conformance;

namespace StyleAlign.Tests.Cuda;

/// <summary>
/// The host side's guarantees that do not depend on one op: host↔device copies from several threads at once (one pinned
/// staging buffer), out-of-memory errors that say what was asked, what is free and what to try, whole-tensor
/// reductions spread over many blocks, and copies above 2 GiB (opt-in: they need about 7 GiB of host memory).
/// </summary>
[TestFixture, Category("Cuda")]
public sealed class CudaHygieneTests
{
    [Test]
    public void CopiesFromSeveralThreadsAtOnceKeepTheirOwnData()
    {
        var context = CudaTestSupport.RequireDevice();
        // Each copy is larger than the 16 MiB staging buffer, so unguarded threads would overwrite each other's chunks.
        const int elements = 5 << 20;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            var data = new int[elements];
            for (var i = 0; i < elements; i++) data[i] = worker * 100_000_000 + i;
            using var buffer = context.Allocate((long)elements * sizeof(int));
            context.CopyToDevice<int>(data, buffer);
            var back = new int[elements];
            context.CopyToHost<int>(buffer, back);
            if (!back.AsSpan().SequenceEqual(data)) failures.Add($"thread {worker}: its data came back changed");
        });
        Assert.That(failures, Is.Empty);
    }

    [Test]
    public void OutOfMemorySaysRequestedFreeTotalAndWhatToTry()
    {
        var context = CudaTestSupport.RequireDevice();
        var (_, total) = context.MemoryInfo();
        var requested = total + (1L << 30);
        var error = Assert.Throws<CudaException>(() => context.Allocate(requested).Dispose());
        Assert.That(error!.Message, Does.Contain($"requested {requested:N0} bytes").And.Contain("free of").And.Contain($"{total:N0} total")
            .And.Contain("smaller batch").And.Contain("checkpointing"));
    }

    private static IEnumerable<TestCaseData> LongRowCases() =>
        from kind in new[] { ReduceKind.Sum, ReduceKind.Mean, ReduceKind.Max, ReduceKind.Min, ReduceKind.LogSumExp }
        from dtype in FloatTypes
        select new TestCaseData(kind, dtype).SetName($"WholeTensorReduction_{kind}_{dtype}");

    [TestCaseSource(nameof(LongRowCases))]
    public void WholeTensorReductionsOverManyBlocksMatchTheCpu(ReduceKind kind, DType dtype)
    {
        // 3·2¹⁶ + 5 elements: 48 partial rows of 4096 plus a remainder row of 5.
        var x = RoundedOracle(Random(701, 3 * (1 << 16) + 5), dtype);
        var actual = Backends.For(TestDevice()).Reduce(kind, OnDevice(x, dtype), [0], keepDim: false);
        Compare($"whole-tensor {kind}", actual, Backends.For(Device.Cpu).Reduce(kind, x, [0], keepDim: false), dtype);
    }

    [Test]
    public void CopiesAbove2GiBRoundTrip()
    {
        var context = CudaTestSupport.RequireDevice();
        if (Environment.GetEnvironmentVariable("STYLEALIGN_LARGE_TRANSFER_TESTS") != "1")
            Assert.Ignore("copies 2 GiB + 8 bytes each way and needs about 7 GiB of host memory; set STYLEALIGN_LARGE_TRANSFER_TESTS=1 to run it");
        var count = (1L << 28) + 1; // longs: 2³¹ + 8 bytes, one span the byte view of which would overflow an int
        var data = new long[count];
        for (long i = 0; i < count; i += 4093) data[i] = i * 31 + 7;
        data[^1] = -5;
        using var buffer = context.Allocate(count * sizeof(long));
        context.CopyToDevice<long>(data, buffer);
        var back = new long[count];
        context.CopyToHost<long>(buffer, back);
        Assert.That(back.AsSpan().SequenceEqual(data), Is.True, "the 2 GiB copy came back unchanged");
    }
}
