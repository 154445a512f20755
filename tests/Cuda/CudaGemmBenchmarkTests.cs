using NUnit.Framework;
using StyleAlign.Bench.Harness;
using StyleAlign.Engine.Core;

namespace StyleAlign.Tests.Cuda;

[TestFixture]
public sealed class CudaGemmBenchmarkTests
{
    [Test, Category("Unit")]
    public void NonPositiveSizesAreRefusedBeforeTheDeviceIsTouched()
    {
        var error = Assert.Throws<ArgumentException>(() => CudaGemmBenchmark.Measure(0, 8, 8, DType.F32, 1));
        Assert.That(error!.Message, Does.Contain("0×8×8"));
        Assert.Throws<ArgumentException>(() => CudaGemmBenchmark.Measure(8, 8, 8, DType.F32, 0));
    }

    [TestCase(DType.F32), TestCase(DType.BF16), Category("Cuda")]
    public void SquareGemmThroughputIsRecorded(DType dtype)
    {
        CudaTestSupport.RequireRealGpu("GEMM throughput");
        var timing = CudaGemmBenchmark.Measure(4096, 4096, 4096, dtype, repeat: 5);
        TestContext.Progress.WriteLine($"cuda-gemm {dtype} 4096^3 on {timing.DeviceName}: best {timing.BestMilliseconds:F3} ms, {timing.Tflops:F1} TFLOP/s");
        Assert.That(timing.BestMilliseconds, Is.GreaterThan(0));
        Assert.That(timing.Tflops, Is.GreaterThan(1.0), "even F32 without tensor cores exceeds 1 TFLOP/s on a data-centre GPU");
    }
}
