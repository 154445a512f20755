using System.Reflection;
using System.Runtime.InteropServices;

namespace StyleAlign.Engine.Cuda.Interop;

/// <summary>The native CUDA libraries the engine binds to, by the logical name used in the imports.</summary>
public enum CudaLibrary
{
    Driver,
    Nvrtc,
    Cublas,
    CublasLt,
}

/// <summary>
/// Resolves the logical library names of the imports ("cuda", "nvrtc", "cublas", "cublasLt") to the
/// versioned sonames that exist on the machine, so one build runs against CUDA 11, 12 or 13.
/// Loading is lazy: a missing library is a normal state reported by <see cref="TryLoad"/>.
/// </summary>
public static class NativeLibraries
{
    internal const string DriverName = "cuda";
    internal const string NvrtcName = "nvrtc";
    internal const string CublasName = "cublas";
    internal const string CublasLtName = "cublasLt";

    private static readonly Lock Gate = new();
    private static readonly Dictionary<CudaLibrary, (IntPtr Handle, string? Path, string? Error)> Loaded = new();
    private static bool _resolverInstalled;

    /// <summary>Candidate file names, newest first. An environment variable may name an exact file.</summary>
    public static IReadOnlyList<string> Candidates(CudaLibrary library)
    {
        var overrideVariable = library switch
        {
            CudaLibrary.Driver => "STYLEALIGN_LIBCUDA",
            CudaLibrary.Nvrtc => "STYLEALIGN_LIBNVRTC",
            CudaLibrary.Cublas => "STYLEALIGN_LIBCUBLAS",
            _ => "STYLEALIGN_LIBCUBLASLT",
        };
        var names = new List<string>();
        var explicitPath = Environment.GetEnvironmentVariable(overrideVariable);
        if (!string.IsNullOrWhiteSpace(explicitPath)) names.Add(explicitPath);
        names.AddRange(library switch
        {
            CudaLibrary.Driver => ["libcuda.so.1", "libcuda.so"],
            CudaLibrary.Nvrtc => ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"],
            CudaLibrary.Cublas => ["libcublas.so.13", "libcublas.so.12", "libcublas.so.11", "libcublas.so"],
            _ => ["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11", "libcublasLt.so"],
        });
        return names;
    }

    /// <summary>Loads the library once; false (with the reason) when no candidate loads.</summary>
    public static bool TryLoad(CudaLibrary library, out IntPtr handle, out string detail)
    {
        lock (Gate)
        {
            if (!Loaded.TryGetValue(library, out var entry))
            {
                entry = (IntPtr.Zero, null, null);
                var tried = Candidates(library);
                foreach (var name in tried)
                {
                    if (NativeLibrary.TryLoad(name, out var h)) { entry = (h, name, null); break; }
                }
                if (entry.Handle == IntPtr.Zero)
                    entry = (IntPtr.Zero, null, $"none of {string.Join(", ", tried)} could be loaded");
                Loaded[library] = entry;
            }
            handle = entry.Handle;
            detail = entry.Path ?? entry.Error!;
            return handle != IntPtr.Zero;
        }
    }

    /// <summary>True when the library loads on this machine.</summary>
    public static bool IsPresent(CudaLibrary library) => TryLoad(library, out _, out _);

    /// <summary>Installs the import resolver for the engine assembly; idempotent, called by every binding class.</summary>
    internal static void EnsureResolver()
    {
        lock (Gate)
        {
            if (_resolverInstalled) return;
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
            _resolverInstalled = true;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        CudaLibrary? library = name switch
        {
            DriverName => CudaLibrary.Driver,
            NvrtcName => CudaLibrary.Nvrtc,
            CublasName => CudaLibrary.Cublas,
            CublasLtName => CudaLibrary.CublasLt,
            _ => null,
        };
        if (library is null) return IntPtr.Zero;
        if (TryLoad(library.Value, out var handle, out var detail)) return handle;
        throw new DllNotFoundException($"CUDA library '{name}' is not available: {detail}.");
    }
}
