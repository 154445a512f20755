using System.Runtime.InteropServices;

namespace StyleAlign.Engine.Cuda.Interop;

/// <summary>NVRTC, the runtime CUDA C++ compiler: needs no GPU and no driver, only libnvrtc.</summary>
public static unsafe partial class Nvrtc
{
    static Nvrtc() => NativeLibraries.EnsureResolver();

    public const int Success = 0;
    public const int ErrorCompilation = 6;

    [LibraryImport(NativeLibraries.NvrtcName)] public static partial int nvrtcVersion(int* major, int* minor);
    [LibraryImport(NativeLibraries.NvrtcName)] public static partial int nvrtcGetNumSupportedArchs(int* count);
    [LibraryImport(NativeLibraries.NvrtcName)] public static partial int nvrtcGetSupportedArchs(int* archs);
    [LibraryImport(NativeLibraries.NvrtcName)]
    public static partial int nvrtcCreateProgram(IntPtr* program, byte* source, byte* name, int headerCount, byte** headers, byte** includeNames);
    [LibraryImport(NativeLibraries.NvrtcName)] public static partial int nvrtcCompileProgram(IntPtr program, int optionCount, byte** options);
    [LibraryImport(NativeLibraries.NvrtcName)] public static partial int nvrtcGetProgramLogSize(IntPtr program, nuint* size);
    [LibraryImport(NativeLibraries.NvrtcName)] public static partial int nvrtcGetProgramLog(IntPtr program, byte* log);
    [LibraryImport(NativeLibraries.NvrtcName)] public static partial int nvrtcGetCUBINSize(IntPtr program, nuint* size);
    [LibraryImport(NativeLibraries.NvrtcName)] public static partial int nvrtcGetCUBIN(IntPtr program, byte* cubin);
    [LibraryImport(NativeLibraries.NvrtcName)] public static partial int nvrtcGetPTXSize(IntPtr program, nuint* size);
    [LibraryImport(NativeLibraries.NvrtcName)] public static partial int nvrtcGetPTX(IntPtr program, byte* ptx);
    [LibraryImport(NativeLibraries.NvrtcName)] public static partial int nvrtcDestroyProgram(IntPtr* program);
    [LibraryImport(NativeLibraries.NvrtcName)] public static partial byte* nvrtcGetErrorString(int result);

    /// <summary>NVRTC's name for a result code ("NVRTC_ERROR_COMPILATION").</summary>
    public static string ErrorName(int result)
    {
        if (!NativeLibraries.IsPresent(CudaLibrary.Nvrtc)) return $"nvrtcResult {result}";
        var text = nvrtcGetErrorString(result);
        return text == null ? $"nvrtcResult {result}" : Marshal.PtrToStringUTF8((IntPtr)text)!;
    }

    /// <summary>"11.8", or null when libnvrtc is absent.</summary>
    public static Version? TryGetVersion()
    {
        if (!NativeLibraries.IsPresent(CudaLibrary.Nvrtc)) return null;
        int major, minor;
        return nvrtcVersion(&major, &minor) == Success ? new Version(major, minor) : null;
    }

    /// <summary>Architectures this NVRTC can target (80, 86, 90, ...), empty when absent.</summary>
    public static IReadOnlyList<int> SupportedArchitectures()
    {
        if (!NativeLibraries.IsPresent(CudaLibrary.Nvrtc)) return [];
        int count;
        if (nvrtcGetNumSupportedArchs(&count) != Success || count <= 0) return [];
        var archs = new int[count];
        fixed (int* p = archs)
        {
            if (nvrtcGetSupportedArchs(p) != Success) return [];
        }
        return archs;
    }
}
