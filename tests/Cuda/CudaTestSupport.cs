using System.Runtime.InteropServices;
using NUnit.Framework;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Interop;

namespace StyleAlign.Tests.Cuda;

/// <summary>Skip rules shared by the CUDA tests: a missing GPU or NVRTC is a stated skip, except NVRTC on CI.</summary>
internal static class CudaTestSupport
{
    public static readonly string[] Architectures = ["sm_80", "sm_90"];

    /// <summary>
    /// Ignores the test when libnvrtc is absent; fails it instead when CI=true, because CI installs NVRTC. Also ignores it
    /// when STYLEALIGN_LIBNVRTC selects the CPU stand-in, which compiles for the CPU: these tests check the real CUBIN.
    /// </summary>
    public static void RequireNvrtc()
    {
        if (NativeLibraries.TryLoad(CudaLibrary.Nvrtc, out var handle, out _) && NativeLibrary.TryGetExport(handle, "sa_standin_nvrtc_description", out _))
            Assert.Ignore("checks NVRTC's CUBIN and ptxas report; STYLEALIGN_LIBNVRTC selects the CPU stand-in, so run this category without it (as the first pass of tests/run.sh does)");
        if (KernelCompiler.IsAvailable) return;
        NativeLibraries.TryLoad(CudaLibrary.Nvrtc, out _, out var detail);
        var message = $"libnvrtc is not available: {detail}";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Assert.Fail(message + " — CI must install it (.ci/install-nvrtc.sh).");
        Assert.Ignore(message);
    }

    public static CudaContext RequireDevice()
    {
        if (!CudaContext.IsAvailable) Assert.Ignore($"no CUDA device: {CudaContext.UnavailableReason}");
        return CudaContext.Get(0);
    }

    /// <summary>
    /// Ignores a test that measures speed when the device is the CPU stand-in (tests/cuda-standin): it runs the kernels'
    /// logic on the CPU, so its timings say nothing about a GPU. Correctness tests never call this.
    /// </summary>
    public static CudaContext RequireRealGpu(string measurement)
    {
        var context = RequireDevice();
        if (CudaProbe.Current.StandIn is not null)
            Assert.Ignore($"{measurement} measures a GPU's speed; {context.DeviceName} is the CPU stand-in, which proves logic, not speed");
        return context;
    }
}
