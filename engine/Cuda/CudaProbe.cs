using System.Runtime.InteropServices;
using StyleAlign.Engine.Cuda.Interop;

namespace StyleAlign.Engine.Cuda;

/// <summary>What this machine offers for CUDA, found without throwing: libraries, driver, devices.</summary>
public sealed record CudaProbe(
    bool DriverLibraryPresent, string DriverLibraryDetail, int InitResult, Version? DriverVersion, int DeviceCount,
    Version? NvrtcVersion, Version? CublasVersion, string? CublasDetail)
{
    /// <summary>True when a device can be used (libcuda loads, cuInit succeeds, at least one device).</summary>
    public bool HasDevice => DriverLibraryPresent && InitResult == CuDriver.Success && DeviceCount > 0;

    /// <summary>Why no device can be used, in words; null when one can.</summary>
    public string? UnavailableReason =>
        !DriverLibraryPresent ? $"no CUDA driver library (libcuda.so.1): {DriverLibraryDetail}"
        : InitResult == CuDriver.ErrorNoDevice ? "cuInit returned 100 (CUDA_ERROR_NO_DEVICE): the driver sees no GPU"
        : InitResult != CuDriver.Success ? $"cuInit failed: {CuDriver.ErrorName(InitResult)}"
        : DeviceCount == 0 ? "the driver reports 0 CUDA devices"
        : null;

    /// <summary>
    /// Non-null when the driver library is the CPU stand-in of tests/cuda-standin (selected by STYLEALIGN_LIBCUDA): its
    /// own one-line description. Results on it prove the CUDA code's logic, never its speed.
    /// </summary>
    public string? StandIn => LazyStandIn.Value;

    private static readonly Lazy<string?> LazyStandIn = new(FindStandIn);

    private static unsafe string? FindStandIn()
    {
        if (!NativeLibraries.TryLoad(CudaLibrary.Driver, out var handle, out _)) return null;
        if (!NativeLibrary.TryGetExport(handle, "sa_standin_description", out var describe)) return null;
        return Marshal.PtrToStringUTF8((IntPtr)((delegate* unmanaged<byte*>)describe)());
    }

    private static readonly Lazy<CudaProbe> Cached = new(Run);

    /// <summary>The probe of this process (run once).</summary>
    public static CudaProbe Current => Cached.Value;

    private static unsafe CudaProbe Run()
    {
        var driverPresent = NativeLibraries.TryLoad(CudaLibrary.Driver, out _, out var driverDetail);
        var init = -1;
        Version? driverVersion = null;
        var count = 0;
        if (driverPresent)
        {
            init = CuDriver.cuInit(0);
            int version;
            if (CuDriver.cuDriverGetVersion(&version) == CuDriver.Success) driverVersion = new Version(version / 1000, version % 1000 / 10);
            if (init == CuDriver.Success && CuDriver.cuDeviceGetCount(&count) != CuDriver.Success) count = 0;
        }
        NativeLibraries.TryLoad(CudaLibrary.Cublas, out _, out var cublasDetail);
        return new CudaProbe(driverPresent, driverDetail, init, driverVersion, count, Nvrtc.TryGetVersion(), Cublas.TryGetVersion(), cublasDetail);
    }
}
