using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using StyleAlign.Engine.Cuda.Interop;

namespace StyleAlign.Engine.Cuda;

/// <summary>Register and spill figures ptxas reported for one entry point.</summary>
public sealed record KernelResourceUsage(string Kernel, int Registers, int SpillStoreBytes, int SpillLoadBytes, int StackFrameBytes, int SharedBytes);

/// <summary>The result of compiling one kernel family to CUBIN.</summary>
public sealed record KernelCompilation(
    string Family, string Architecture, byte[] Cubin, TimeSpan CompileTime, string Log, IReadOnlyList<KernelResourceUsage> Kernels);

/// <summary>
/// Compiles kernel families with NVRTC to CUBIN for one SM architecture ("sm_80"). Needs libnvrtc only — no GPU.
/// Always real machine code (`--gpu-architecture=sm_XY`), never PTX for a virtual `compute_XY`.
/// </summary>
public static unsafe partial class KernelCompiler
{
    /// <summary>
    /// Options besides the architecture; part of the cache key. Line info (for profilers) only from NVRTC 12:
    /// NVRTC 11.8's ptxas crashes (segmentation fault) on some sm_90 kernels compiled with -lineinfo.
    /// </summary>
    public static IReadOnlyList<string> DefaultOptions => LazyDefaultOptions.Value;

    private static readonly Lazy<IReadOnlyList<string>> LazyDefaultOptions = new(() =>
        Nvrtc.TryGetVersion() is { Major: >= 12 } ? ["--std=c++17", "-default-device", "-lineinfo"] : ["--std=c++17", "-default-device"]);

    private const string VerbosePtxas = "--ptxas-options=-v";

    public static bool IsAvailable => NativeLibraries.IsPresent(CudaLibrary.Nvrtc);

    /// <summary>"sm_80" from a compute capability (8, 0).</summary>
    public static string ArchitectureFor(int major, int minor) => $"sm_{major}{minor}";

    /// <summary>Checks an architecture string is "sm_XY" (a real architecture, so NVRTC emits CUBIN).</summary>
    public static string ValidateArchitecture(string architecture)
    {
        if (!ArchRegex().IsMatch(architecture))
            throw new ArgumentException($"Architecture '{architecture}' is not of the form sm_XY (e.g. sm_80, sm_90).", nameof(architecture));
        return architecture;
    }

    /// <summary>Compiles an embedded family ("norms") for an architecture.</summary>
    public static KernelCompilation Compile(string family, string architecture, IReadOnlyList<string>? options = null) =>
        CompileSource(family, KernelSources.Source(family), architecture, options);

    /// <summary>
    /// Compiles CUDA C source text with the embedded headers available to `#include` (or <paramref name="headers"/>,
    /// include name to text, in their place: a test compiles a header it edited).
    /// </summary>
    public static KernelCompilation CompileSource(string name, string source, string architecture, IReadOnlyList<string>? options = null,
        IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        ValidateArchitecture(architecture);
        EnsureAvailable();
        var allOptions = new List<string> { $"--gpu-architecture={architecture}" };
        allOptions.AddRange(options ?? DefaultOptions);
        allOptions.Add(VerbosePtxas);

        var stopwatch = Stopwatch.StartNew();
        var program = CreateProgram(name, source, headers ?? KernelSources.Headers);
        try
        {
            var result = CompileProgram(program, allOptions);
            var log = ReadLog(program);
            CudaCheck.Nvrtc(result, log, call: $"nvrtcCompileProgram({name}.cu, {string.Join(' ', allOptions)})");
            var cubin = ReadCubin(program);
            stopwatch.Stop();
            return new KernelCompilation(name, architecture, cubin, stopwatch.Elapsed, log, ParseResourceUsage(log));
        }
        finally
        {
            Nvrtc.nvrtcDestroyProgram(&program);
        }
    }

    /// <summary>Throws a clear error when libnvrtc cannot be loaded.</summary>
    public static void EnsureAvailable()
    {
        if (!NativeLibraries.TryLoad(CudaLibrary.Nvrtc, out _, out var detail))
            throw new CudaException("load libnvrtc", -1, "NVRTC_NOT_FOUND", detail: detail + " (install libnvrtc, e.g. .ci/install-nvrtc.sh)");
    }

    private static IntPtr CreateProgram(string name, string source, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        using var pinned = new Utf8Strings([source, name + ".cu", .. headers.Select(h => h.Value), .. headers.Select(h => h.Key)]);
        var headerTexts = pinned.Pointers + 2;
        var headerNames = pinned.Pointers + 2 + headers.Count;
        IntPtr program;
        CudaCheck.Nvrtc(Nvrtc.nvrtcCreateProgram(&program, pinned.Pointers[0], pinned.Pointers[1], headers.Count, headerTexts, headerNames));
        return program;
    }

    // NVRTC and its embedded ptxas use deep native stacks; thread-pool and test-runner threads have small ones (1.5 MiB),
    // so compilation always runs on its own thread with a generous stack.
    private const int CompilerStackBytes = 64 * 1024 * 1024;

    private static int CompileProgram(IntPtr program, IReadOnlyList<string> options)
    {
        var result = 0;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var pinned = new Utf8Strings(options);
                result = Nvrtc.nvrtcCompileProgram(program, options.Count, pinned.Pointers);
            }
            catch (Exception e) { failure = e; }
        }, CompilerStackBytes) { IsBackground = true, Name = "nvrtc" };
        thread.Start();
        thread.Join();
        if (failure is not null) throw failure;
        return result;
    }

    private static string ReadLog(IntPtr program)
    {
        nuint size;
        CudaCheck.Nvrtc(Nvrtc.nvrtcGetProgramLogSize(program, &size));
        if (size <= 1) return "";
        var buffer = new byte[size];
        fixed (byte* p = buffer) CudaCheck.Nvrtc(Nvrtc.nvrtcGetProgramLog(program, p));
        return Encoding.UTF8.GetString(buffer, 0, (int)size - 1);
    }

    private static byte[] ReadCubin(IntPtr program)
    {
        nuint size;
        CudaCheck.Nvrtc(Nvrtc.nvrtcGetCUBINSize(program, &size));
        if (size == 0) throw new CudaException("nvrtcGetCUBINSize", 0, "NVRTC produced no CUBIN (was a virtual compute_XY architecture given?)");
        var cubin = new byte[size];
        fixed (byte* p = cubin) CudaCheck.Nvrtc(Nvrtc.nvrtcGetCUBIN(program, p));
        return cubin;
    }

    /// <summary>Reads ptxas' `-v` report: per entry point, registers, spills, stack and shared memory.</summary>
    public static IReadOnlyList<KernelResourceUsage> ParseResourceUsage(string log)
    {
        var usages = new List<KernelResourceUsage>();
        string? current = null;
        int stack = 0, spillStores = 0, spillLoads = 0;
        foreach (var line in log.Split('\n'))
        {
            var entry = EntryRegex().Match(line);
            if (entry.Success) { current = entry.Groups[1].Value; stack = spillStores = spillLoads = 0; continue; }
            var frame = FrameRegex().Match(line);
            if (frame.Success)
            {
                stack = int.Parse(frame.Groups[1].Value);
                spillStores = int.Parse(frame.Groups[2].Value);
                spillLoads = int.Parse(frame.Groups[3].Value);
                continue;
            }
            var used = UsedRegex().Match(line);
            if (used.Success && current is not null)
            {
                var shared = SharedRegex().Match(line);
                usages.Add(new KernelResourceUsage(current, int.Parse(used.Groups[1].Value), spillStores, spillLoads, stack,
                    shared.Success ? int.Parse(shared.Groups[1].Value) : 0));
                current = null;
            }
        }
        return usages;
    }

    [GeneratedRegex(@"^sm_\d{2,3}[a-z]?$")] private static partial Regex ArchRegex();
    [GeneratedRegex(@"Compiling entry function '([^']+)'")] private static partial Regex EntryRegex();
    [GeneratedRegex(@"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")] private static partial Regex FrameRegex();
    [GeneratedRegex(@"Used (\d+) registers")] private static partial Regex UsedRegex();
    [GeneratedRegex(@"(\d+) bytes smem")] private static partial Regex SharedRegex();

    /// <summary>NUL-terminated UTF-8 copies of strings in unmanaged memory, with an array of pointers to them.</summary>
    private sealed class Utf8Strings : IDisposable
    {
        public Utf8Strings(IReadOnlyList<string> strings)
        {
            Pointers = (byte**)NativeMemory.Alloc((nuint)Math.Max(1, strings.Count), (nuint)sizeof(byte*));
            _count = strings.Count;
            for (var i = 0; i < strings.Count; i++)
            {
                var bytes = Encoding.UTF8.GetBytes(strings[i]);
                var p = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
                bytes.CopyTo(new Span<byte>(p, bytes.Length));
                p[bytes.Length] = 0;
                Pointers[i] = p;
            }
        }

        private readonly int _count;
        public byte** Pointers { get; }

        public void Dispose()
        {
            for (var i = 0; i < _count; i++) NativeMemory.Free(Pointers[i]);
            NativeMemory.Free(Pointers);
        }
    }
}
