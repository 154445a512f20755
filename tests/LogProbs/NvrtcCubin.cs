using System.Runtime.InteropServices;
using System.Text;

namespace StyleAlign.Tests.LogProbs;

/// <summary>Compiles CUDA C to CUBIN with NVRTC, loaded at run time; null library when NVRTC is not installed.</summary>
internal sealed unsafe class NvrtcCubin
{
    private static readonly string[] LibraryNames = ["libnvrtc.so", "libnvrtc.so.12", "libnvrtc.so.11.2", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll"];

    private readonly delegate* unmanaged<nint*, byte*, byte*, int, nint, nint, int> _create;
    private readonly delegate* unmanaged<nint, int, byte**, int> _compile;
    private readonly delegate* unmanaged<nint, nuint*, int> _logSize;
    private readonly delegate* unmanaged<nint, byte*, int> _log;
    private readonly delegate* unmanaged<nint, nuint*, int> _cubinSize;
    private readonly delegate* unmanaged<nint, byte*, int> _cubin;
    private readonly delegate* unmanaged<nint*, int> _destroy;

    private NvrtcCubin(nint lib)
    {
        _create = (delegate* unmanaged<nint*, byte*, byte*, int, nint, nint, int>)NativeLibrary.GetExport(lib, "nvrtcCreateProgram");
        _compile = (delegate* unmanaged<nint, int, byte**, int>)NativeLibrary.GetExport(lib, "nvrtcCompileProgram");
        _logSize = (delegate* unmanaged<nint, nuint*, int>)NativeLibrary.GetExport(lib, "nvrtcGetProgramLogSize");
        _log = (delegate* unmanaged<nint, byte*, int>)NativeLibrary.GetExport(lib, "nvrtcGetProgramLog");
        _cubinSize = (delegate* unmanaged<nint, nuint*, int>)NativeLibrary.GetExport(lib, "nvrtcGetCUBINSize");
        _cubin = (delegate* unmanaged<nint, byte*, int>)NativeLibrary.GetExport(lib, "nvrtcGetCUBIN");
        _destroy = (delegate* unmanaged<nint*, int>)NativeLibrary.GetExport(lib, "nvrtcDestroyProgram");
    }

    public static NvrtcCubin? TryLoad()
    {
        foreach (var name in LibraryNames)
            if (NativeLibrary.TryLoad(name, out var lib)) return new NvrtcCubin(lib);
        return null;
    }

    /// <summary>The CUBIN and the compiler log; throws with the log when compilation fails.</summary>
    public (byte[] Cubin, string Log) Compile(string source, string name, string arch)
    {
        var src = Encoding.UTF8.GetBytes(source + "\0");
        var nm = Encoding.UTF8.GetBytes(name + "\0");
        var options = new[] { $"--gpu-architecture={arch}", "--std=c++14" }.Select(o => Encoding.UTF8.GetBytes(o + "\0")).ToArray();
        nint prog = 0;
        fixed (byte* s = src, n = nm)
            Check(_create(&prog, s, n, 0, 0, 0), "nvrtcCreateProgram");
        try
        {
            var handles = options.Select(o => GCHandle.Alloc(o, GCHandleType.Pinned)).ToArray();
            int status;
            try
            {
                var ptrs = handles.Select(h => (nint)h.AddrOfPinnedObject()).ToArray();
                fixed (nint* p = ptrs) status = _compile(prog, ptrs.Length, (byte**)p);
            }
            finally
            {
                foreach (var h in handles) h.Free();
            }
            nuint logSize;
            Check(_logSize(prog, &logSize), "nvrtcGetProgramLogSize");
            var logBytes = new byte[(int)logSize];
            fixed (byte* l = logBytes) Check(_log(prog, l), "nvrtcGetProgramLog");
            var log = Encoding.UTF8.GetString(logBytes).TrimEnd('\0').Trim();
            if (status != 0) throw new InvalidOperationException($"NVRTC failed to compile {name} for {arch} (status {status}):\n{log}");
            nuint size;
            Check(_cubinSize(prog, &size), "nvrtcGetCUBINSize");
            var cubin = new byte[(int)size];
            fixed (byte* c = cubin) Check(_cubin(prog, c), "nvrtcGetCUBIN");
            return (cubin, log);
        }
        finally
        {
            _destroy(&prog);
        }
    }

    private static void Check(int status, string call)
    {
        if (status != 0) throw new InvalidOperationException($"{call} returned NVRTC status {status}");
    }
}
