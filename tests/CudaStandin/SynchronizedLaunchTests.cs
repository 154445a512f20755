using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;
using static StyleAlign.Tests.CudaStandin.StandInSupport;

namespace StyleAlign.Tests.CudaStandin;

/// <summary>
/// STYLEALIGN_CUDA_SYNC=1 (<see cref="KernelLauncher.SynchronizeEachLaunch"/>): a kernel that faults is reported by its
/// own launch, naming the kernel, grid, block and arguments. Only the stand-in can fault on purpose and carry on.
/// </summary>
[TestFixture, Category("Cuda")]
public sealed class SynchronizedLaunchTests
{
    [Test]
    public void AFaultIsNamedByTheLaunchThatCausedIt()
    {
        var context = RequireStandIn();
        var backend = CudaBackend.For(Device.Cuda(context.DeviceIndex));
        var kernels = new IndexKernels(new KernelLauncher(context));
        using var output = Tensor.Zeros(new Shape(4, 3), DType.F32, backend.Device);
        using var index = Tensor.FromArray(new long[] { 0, 1, 2, 3 }).To(backend.Device);
        var freed = Tensor.Zeros(new Shape(4, 3), DType.F32, backend.Device);
        var freedAddress = backend.Address(freed);
        freed.Dispose();
        var saved = KernelLauncher.SynchronizeEachLaunch;
        KernelLauncher.SynchronizeEachLaunch = true;
        try
        {
            var error = ExpectFault(() => kernels.SelectRows(DType.F32, 4, 3, 4, freedAddress, backend.Address(index), backend.Address(output), 0),
                "CUDA_ERROR", "index.cu:index_select_rows_f32", "grid Dim3", "block Dim3", $"0x{freedAddress:x}", "(4, 3, 4, ", "STYLEALIGN_CUDA_SYNC=1");
            Assert.That(error.Call, Does.Not.StartWith("cuLaunchKernel"), "the launch was accepted; the fault came at the synchronization after it");
        }
        finally
        {
            KernelLauncher.SynchronizeEachLaunch = saved;
        }
    }
}
