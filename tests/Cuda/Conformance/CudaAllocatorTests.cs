using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;

namespace StyleAlign.Tests.Cuda.Conformance;

[TestFixture, Category("Cuda")]
public sealed class CudaAllocatorTests
{
    [Test]
    public void TensorsReturnTheirMemoryAndThePoolReusesIt()
    {
        var context = CudaTestSupport.RequireDevice();
        var device = Device.Cuda(context.DeviceIndex);
        var before = context.CurrentBytes;
        var liveBefore = context.LiveBuffers;
        var x = Tensor.Zeros(new Shape(1024, 1024), DType.F32, device);
        Assert.That(context.CurrentBytes - before, Is.EqualTo(4L << 20), "a 1 Mi-element F32 tensor holds 4 MiB");
        var view = x.T;
        x.Dispose();
        Assert.That(context.CurrentBytes - before, Is.EqualTo(4L << 20), "a view keeps the storage alive");
        view.Dispose();
        Assert.That(context.CurrentBytes, Is.EqualTo(before), "the last release frees the storage");
        Assert.That(context.LiveBuffers, Is.EqualTo(liveBefore));

        if (!context.UsesMemoryPool) Assert.Ignore($"cuda:{context.DeviceIndex} has no stream-ordered memory pool");
        var reserved = context.PoolReservedBytes;
        for (var i = 0; i < 20; i++) Tensor.Zeros(new Shape(1024, 1024), DType.F32, device).Dispose();
        TestContext.Progress.WriteLine($"cuda-allocator pool reserved {reserved:N0} -> {context.PoolReservedBytes:N0} bytes after 20 allocate/free cycles");
        Assert.That(context.PoolReservedBytes, Is.LessThanOrEqualTo(reserved + (8L << 20)), "freed blocks are reused, not reserved afresh");
    }

    [Test]
    public void AnImpossibleAllocationNamesTheDeviceAndTheSize()
    {
        var context = CudaTestSupport.RequireDevice();
        var device = Device.Cuda(context.DeviceIndex);
        var shape = new Shape(int.MaxValue, 64); // 2^31 · 64 F32 elements: 512 GiB, more than any single GPU holds
        Assume.That(shape.NumElements * 4, Is.GreaterThan(context.TotalMemoryBytes), "the request exceeds the device memory");
        var error = Assert.Throws<CudaException>(() => Tensor.Zeros(shape, DType.F32, device));
        TestContext.Progress.WriteLine($"cuda-allocator impossible allocation: {error!.Message}");
        Assert.That(error.Message, Does.Contain($"cuda:{context.DeviceIndex}").And.Contain("cannot allocate").And.Contain("free of"));
    }
}
