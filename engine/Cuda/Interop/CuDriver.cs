using System.Runtime.InteropServices;

namespace StyleAlign.Engine.Cuda.Interop;

// Handles are opaque pointers; device memory is a 64-bit address (CUdeviceptr).
// Every function returns a CUresult (0 = CUDA_SUCCESS) and is checked by CudaCheck.

/// <summary>CUDA driver API, the subset the engine uses. Only `_v2` entry points that exist from CUDA 11 to 13.</summary>
public static unsafe partial class CuDriver
{
    static CuDriver() => NativeLibraries.EnsureResolver();

    public const int Success = 0;
    public const int ErrorNoDevice = 100;
    public const int ErrorOutOfMemory = 2;

    public const int AttributeMultiprocessorCount = 16;
    public const int AttributeClockRateKHz = 13;
    public const int AttributeMemoryClockRateKHz = 36;
    public const int AttributeGlobalMemoryBusWidth = 37;
    public const int AttributeComputeCapabilityMajor = 75;
    public const int AttributeComputeCapabilityMinor = 76;
    public const int AttributeMaxSharedMemoryPerBlockOptin = 97;
    public const int AttributeMemoryPoolsSupported = 115;

    public const int MemPoolAttrReleaseThreshold = 4;
    public const int MemPoolAttrReservedMemCurrent = 5;
    public const int MemPoolAttrReservedMemHigh = 6;
    public const int MemPoolAttrUsedMemCurrent = 7;
    public const int MemPoolAttrUsedMemHigh = 8;

    public const int FuncAttributeMaxDynamicSharedSizeBytes = 8;
    public const uint StreamNonBlocking = 1;
    public const uint EventDefault = 0;
    public const uint HostAllocPortable = 1;

    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuInit(uint flags);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuDriverGetVersion(int* version);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuDeviceGet(int* device, int ordinal);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuDeviceGetCount(int* count);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuDeviceGetAttribute(int* value, int attribute, int device);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuDeviceTotalMem_v2(nuint* bytes, int device);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuDevicePrimaryCtxRetain(IntPtr* context, int device);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuDevicePrimaryCtxRelease_v2(int device);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuCtxSetCurrent(IntPtr context);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuCtxSynchronize();

    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuStreamCreate(IntPtr* stream, uint flags);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuStreamDestroy_v2(IntPtr stream);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuStreamSynchronize(IntPtr stream);

    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuMemAllocAsync(ulong* pointer, nuint bytes, IntPtr stream);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuMemFreeAsync(ulong pointer, IntPtr stream);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuMemAlloc_v2(ulong* pointer, nuint bytes);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuMemFree_v2(ulong pointer);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuMemGetInfo_v2(nuint* free, nuint* total);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuMemcpyHtoDAsync_v2(ulong destination, void* source, nuint bytes, IntPtr stream);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuMemcpyDtoHAsync_v2(void* destination, ulong source, nuint bytes, IntPtr stream);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuMemcpyDtoDAsync_v2(ulong destination, ulong source, nuint bytes, IntPtr stream);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuMemsetD8Async(ulong destination, byte value, nuint count, IntPtr stream);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuMemsetD32Async(ulong destination, uint value, nuint count, IntPtr stream);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuMemHostAlloc(void** pointer, nuint bytes, uint flags);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuMemFreeHost(void* pointer);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuDeviceGetDefaultMemPool(IntPtr* pool, int device);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuMemPoolSetAttribute(IntPtr pool, int attribute, void* value);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuMemPoolGetAttribute(IntPtr pool, int attribute, void* value);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuMemPoolTrimTo(IntPtr pool, nuint minBytesToKeep);

    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuModuleLoadData(IntPtr* module, void* image);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuModuleUnload(IntPtr module);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuModuleGetFunction(IntPtr* function, IntPtr module, byte* name);
    [LibraryImport(NativeLibraries.DriverName)]
    public static partial int cuLaunchKernel(IntPtr function, uint gridX, uint gridY, uint gridZ,
        uint blockX, uint blockY, uint blockZ, uint sharedMemBytes, IntPtr stream, void** kernelParams, void** extra);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuFuncSetAttribute(IntPtr function, int attribute, int value);

    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuEventCreate(IntPtr* evt, uint flags);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuEventRecord(IntPtr evt, IntPtr stream);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuEventSynchronize(IntPtr evt);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuEventElapsedTime(float* milliseconds, IntPtr start, IntPtr end);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuEventDestroy_v2(IntPtr evt);

    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuGetErrorName(int error, byte** name);
    [LibraryImport(NativeLibraries.DriverName)] public static partial int cuGetErrorString(int error, byte** text);

    /// <summary>The driver's symbolic name for an error code ("CUDA_ERROR_OUT_OF_MEMORY"), or the number.</summary>
    public static string ErrorName(int error)
    {
        if (!NativeLibraries.IsPresent(CudaLibrary.Driver)) return $"CUresult {error}";
        byte* name = null;
        byte* text = null;
        if (cuGetErrorName(error, &name) != Success || name == null) return $"CUresult {error}";
        var result = Marshal.PtrToStringUTF8((IntPtr)name)!;
        if (cuGetErrorString(error, &text) == Success && text != null) result += $" ({Marshal.PtrToStringUTF8((IntPtr)text)})";
        return result;
    }
}
