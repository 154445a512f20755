using NUnit.Framework;
using StyleAlign.Cli.Verbs;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;

namespace StyleAlign.Tests.Cuda;

[TestFixture]
[Category("Cuda")]
public sealed class CudaDeviceTests
{
    [Test]
    public void AllocatorReusesFreedBlocksAndTracksCurrentAndPeakBytes()
    {
        var context = CudaTestSupport.RequireDevice();
        context.Synchronize();
        var baseCurrent = context.CurrentBytes;
        context.ResetPeak();
        const long size = 64L << 20;
        var first = context.Allocate(size);
        Assert.That(context.CurrentBytes, Is.EqualTo(baseCurrent + size));
        var address = first.Pointer;
        first.Dispose();
        Assert.That(context.CurrentBytes, Is.EqualTo(baseCurrent));
        var reservedAfterFree = context.PoolReservedBytes;

        using var second = context.Allocate(size);
        Assert.That(context.PeakBytes, Is.EqualTo(baseCurrent + size), "peak counts the largest simultaneous use, not the total");
        if (context.UsesMemoryPool)
        {
            Assert.That(context.PoolReservedBytes, Is.EqualTo(reservedAfterFree), "the pool reuses the freed block instead of reserving more");
            Assert.That(second.Pointer, Is.EqualTo(address), "same stream, same size: the freed block comes back");
        }
    }

    [Test]
    public void ImpossibleAllocationStatesRequestedAndFreeBytes()
    {
        var context = CudaTestSupport.RequireDevice();
        var requested = context.TotalMemoryBytes * 4;
        var error = Assert.Throws<CudaException>(() => context.Allocate(requested));
        Assert.That(error!.ErrorName, Does.Contain("CUDA_ERROR_OUT_OF_MEMORY"));
        Assert.That(error.Message, Does.Contain($"{requested:N0} bytes").And.Contain("bytes free of"));
    }

    [Test]
    public void CopiesRoundTripThroughTheStagingBuffer()
    {
        var context = CudaTestSupport.RequireDevice();
        var data = Enumerable.Range(0, 5_000_000).Select(i => (float)i).ToArray(); // 20 MB: more than one staging chunk
        using var buffer = context.Allocate(data.Length * 4L);
        context.CopyToDevice<float>(data, buffer);
        var back = new float[data.Length];
        context.CopyToHost<float>(buffer, back);
        Assert.That(back, Is.EqualTo(data));
    }

    [Test]
    public void DoctorRunsAKernelAndAGemmOnTheDevice()
    {
        CudaTestSupport.RequireDevice();
        var output = new StringWriter();
        var exitCode = DoctorVerb.Run(output);
        Assert.That(exitCode, Is.EqualTo(0), output.ToString());
        Assert.That(output.ToString(), Does.Contain("kernel check").And.Contain("result         : OK"));
    }

    [Test]
    public void DropoutKernelDrawsTheSameMaskAsTheHostHash()
    {
        var context = CudaTestSupport.RequireDevice();
        const int count = 100_003;
        const ulong seed = 77, offset = 1_000;
        const double p = 0.25;
        using var keep = context.Allocate(count);
        new DropoutKernels(new KernelLauncher(context)).Mask(count, keep.Pointer, seed, offset, p);
        var mask = new byte[count];
        context.CopyToHost<byte>(keep, mask);
        var mismatches = Enumerable.Range(0, count).Count(i => (mask[i] == 1) != (SplitMix64.UniformAt(seed, offset + (ulong)i) >= p));
        Assert.That(mismatches, Is.Zero);
    }

    [Test]
    public void RmsNormForwardMatchesTheCpuFormula()
    {
        var context = CudaTestSupport.RequireDevice();
        const int rows = 37, columns = 1000;
        const float eps = 1e-6f;
        var random = new Random(5);
        var x = Enumerable.Range(0, rows * columns).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        var w = Enumerable.Range(0, columns).Select(_ => (float)(random.NextDouble() + 0.5)).ToArray();
        using var dx = context.Allocate(x.Length * 4L);
        using var dw = context.Allocate(w.Length * 4L);
        using var dy = context.Allocate(x.Length * 4L);
        using var drstd = context.Allocate(rows * 4L);
        context.CopyToDevice<float>(x, dx);
        context.CopyToDevice<float>(w, dw);
        new NormsKernels(new KernelLauncher(context)).RmsNormForward(DType.F32, rows, columns, dx.Pointer, dw.Pointer, eps, dy.Pointer, drstd.Pointer);
        var y = new float[x.Length];
        context.CopyToHost<float>(dy, y);
        for (var r = 0; r < rows; r++)
        {
            var meanSquare = 0.0;
            for (var c = 0; c < columns; c++) meanSquare += (double)x[r * columns + c] * x[r * columns + c];
            var rstd = 1 / Math.Sqrt(meanSquare / columns + eps);
            for (var c = 0; c < columns; c++)
                Assert.That(y[r * columns + c], Is.EqualTo(w[c] * x[r * columns + c] * rstd).Within(1e-5), $"row {r}, column {c}");
        }
    }
}

[TestFixture]
[Category("Unit")]
public sealed class DoctorWithoutGpuTests
{
    [Test]
    public void DoctorSaysWhatIsMissingAndExitsZero()
    {
        if (CudaContext.IsAvailable) Assert.Ignore("a CUDA device is present; CudaDeviceTests cover doctor on it");
        var output = new StringWriter();
        Assert.That(DoctorVerb.Run(output), Is.EqualTo(0), output.ToString());
        Assert.That(output.ToString(), Does.Contain("no CUDA device").And.Contain(CudaContext.UnavailableReason!));
    }
}
