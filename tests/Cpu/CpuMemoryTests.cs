using System.Runtime.CompilerServices;
using NUnit.Framework;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Tests.Cpu;

/// <summary>CPU tensors live in pooled native memory: freed blocks are reused, idle ones given back, forgotten ones reclaimed.</summary>
[TestFixture, Category("Unit"), NonParallelizable]
public class CpuMemoryTests
{
    // An odd element count, so that no other tensor of these tests shares its size class.
    private const int Count = 123_457;

    [Test]
    public void AFreedBlockIsTakenByTheNextTensorOfItsClassAndComesBackZeroed()
    {
        nint first;
        using (var a = Tensor.Full(new Shape(Count), 3.0))
            first = a.CpuStorage().Address;
        using var b = Tensor.Zeros(new Shape(Count));
        Assert.That(b.CpuStorage().Address, Is.EqualTo(first), "the freed block serves the next request of its class");
        Assert.That(b.ToFloatArray(), Has.All.EqualTo(0f), "a reused block is cleared when zeros are asked for");
    }

    [Test]
    public void SizeClassesAreFourAnOctaveAndAligned()
    {
        Assert.That(CpuMemoryPool.ClassBytes(1), Is.EqualTo(64));
        Assert.That(CpuMemoryPool.ClassBytes(1024), Is.EqualTo(1024));
        Assert.That(CpuMemoryPool.ClassBytes(1025), Is.EqualTo(1280));
        Assert.That(CpuMemoryPool.ClassBytes(1_000_000), Is.EqualTo(1_048_576));
        for (long bytes = 65; bytes < 1 << 24; bytes = bytes * 5 / 4 + 1)
        {
            var size = CpuMemoryPool.ClassBytes(bytes);
            Assert.That(size, Is.GreaterThanOrEqualTo(bytes).And.LessThanOrEqualTo(bytes * 5 / 4 + 64), $"{bytes} bytes");
            Assert.That(size % 64, Is.Zero, $"{bytes} bytes");
        }
    }

    [Test]
    public void BlocksIdleThroughAWholeStepAreGivenBack()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // Two small steps first, so that blocks left by earlier tests are given back before the measurement.
        SmallStep();
        SmallStep();
        using (TensorScope.Begin())
            Tensor.Full(new Shape(Count), 1.0);
        var idleAfterFirst = CpuMemoryPool.IdleBytes;
        var block = CpuMemoryPool.ClassBytes(Count * sizeof(float));
        // The next step uses other sizes only: the first step's block is kept through it, in case it is needed again...
        SmallStep();
        Assert.That(CpuMemoryPool.IdleBytes, Is.GreaterThanOrEqualTo(idleAfterFirst - 64), "a block returned by the last step is kept");
        // ...and given back once a whole step went by without it.
        SmallStep();
        Assert.That(CpuMemoryPool.IdleBytes, Is.LessThanOrEqualTo(idleAfterFirst - block + 64));
    }

    private static void SmallStep()
    {
        using (TensorScope.Begin())
            Tensor.Zeros(new Shape(7));
    }

    [Test]
    public void AStorageNeverReleasedIsReclaimedByItsFinalizer()
    {
        // Storages other tests dropped unreleased are reclaimed first, so that only this test's one is counted.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var live = CpuMemoryPool.LiveBytes;
        Forget();
        Assert.That(CpuMemoryPool.LiveBytes, Is.EqualTo(live + CpuMemoryPool.ClassBytes(Count * sizeof(float))), "the forgotten storage is live");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.That(CpuMemoryPool.LiveBytes, Is.EqualTo(live));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Forget() => _ = TensorScope.Untracked(() => Tensor.Ones(new Shape(Count)));

    [Test]
    public void ABufferChecksItsBounds()
    {
        using var t = Tensor.Arange(5, DType.I64);
        var buffer = t.CpuStorage().Buffer<long>();
        Assert.That(buffer[4], Is.EqualTo(4));
        Assert.Throws<IndexOutOfRangeException>(() => _ = buffer[5]);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Slice(3, 3));
        Assert.Throws<InvalidOperationException>(() => t.CpuStorage().Buffer<float>(), "the element type must be the dtype's");
    }

    [Test]
    public void ClippingAndAdamWAllocateNothingPerStep()
    {
        var rng = new RandomGenerator(3);
        using var p = TensorScope.Untracked(() => Tensor.RandN(new Shape(1 << 22), rng));
        p.Grad = TensorScope.Untracked(() => Tensor.RandN(new Shape(1 << 22), rng));
        using var optimizer = new AdamW([p], new AdamWOptions(LearningRate: 1e-3));
        optimizer.Step(); // the first step creates the moments
        var live = CpuMemoryPool.LiveBytes;
        CpuMemoryPool.ResetPeak();
        var managed = GC.GetTotalAllocatedBytes(precise: true);
        var norm = GradientClipping.ClipGlobalNorm([p], 1.0);
        optimizer.Step();
        managed = GC.GetTotalAllocatedBytes(precise: true) - managed;
        Assert.That(norm, Is.GreaterThan(1.0), "the gradient was clipped");
        Assert.That(CpuMemoryPool.PeakLiveBytes, Is.EqualTo(live), "no tensor memory was taken");
        // The parameter is 16 MB; the old path copied the gradient to float64 (32 MB) and squared and scaled it.
        Assert.That(managed, Is.LessThan(256 << 10), $"{managed:N0} managed bytes");
        p.Grad.Dispose();
    }

    [Test]
    public void BackwardHoldsOnlyTheGradientsOfItsFrontier()
    {
        const int n = 1 << 20, depth = 24;
        using var scope = TensorScope.Begin();
        var x = Tensor.RandN(new Shape(n), new RandomGenerator(5));
        x.RequiresGrad = true;
        var y = x;
        for (var i = 0; i < depth; i++) y = (y * 1.01).Tanh();
        var loss = y.Sum();
        CpuMemoryPool.ResetPeak();
        var before = CpuMemoryPool.LiveBytes;
        loss.Backward();
        var extra = CpuMemoryPool.PeakLiveBytes - before;
        // Keeping every intermediate gradient would take 2·depth tensors of 4 MB; the frontier is a few of them.
        Assert.That(extra, Is.LessThan(6L * n * sizeof(float)), $"{extra:N0} bytes at the peak of the sweep");
        Assert.That(x.Grad, Is.Not.Null);
        x.Grad!.Dispose();
    }
}
