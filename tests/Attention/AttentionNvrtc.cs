using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace StyleAlign.Tests.Attention;

/// <summary>
/// Just enough of NVRTC to compile the attention kernels to CUBIN and read ptxas' resource report.
/// Functions are bound through NativeLibrary exports, so nothing here claims the assembly's DllImport resolver.
/// </summary>
internal static unsafe partial class AttentionNvrtc
{
    private static readonly string[] LibraryNames = ["libnvrtc.so", "libnvrtc.so.12", "libnvrtc.so.11.2", "nvrtc64_120_0.dll", "nvrtc64_112_0.dll"];

    private static readonly Lazy<IntPtr> Library = new(() =>
    {
        foreach (var name in LibraryNames)
            if (NativeLibrary.TryLoad(name, out var handle)) return handle;
        return IntPtr.Zero;
    });

    public static bool IsAvailable => Library.Value != IntPtr.Zero;

    public sealed record Result(bool Success, string Log, int CubinBytes);

    public sealed record EntryUsage(string Kernel, int Registers, int SpillStores, int SpillLoads);

    /// <summary>Compiles source with the given headers (name → text) for a real architecture (sm_80, sm_90).</summary>
    public static Result Compile(string name, string source, IReadOnlyDictionary<string, string> headers, string architecture, IEnumerable<string> extraOptions)
    {
        if (!IsAvailable) throw new InvalidOperationException($"libnvrtc was not found (tried {string.Join(", ", LibraryNames)})");
        var create = (delegate* unmanaged<IntPtr*, byte*, byte*, int, byte**, byte**, int>)Export("nvrtcCreateProgram");
        var compile = (delegate* unmanaged<IntPtr, int, byte**, int>)Export("nvrtcCompileProgram");
        var logSize = (delegate* unmanaged<IntPtr, nuint*, int>)Export("nvrtcGetProgramLogSize");
        var getLog = (delegate* unmanaged<IntPtr, byte*, int>)Export("nvrtcGetProgramLog");
        var cubinSize = (delegate* unmanaged<IntPtr, nuint*, int>)Export("nvrtcGetCUBINSize");
        var destroy = (delegate* unmanaged<IntPtr*, int>)Export("nvrtcDestroyProgram");

        string[] options = [$"--gpu-architecture={architecture}", "--std=c++17", "--ptxas-options=-v", .. extraOptions];
        var strings = new List<string> { source, name };
        strings.AddRange(headers.Values);
        strings.AddRange(headers.Keys);
        strings.AddRange(options);
        var handles = strings.Select(s => Marshal.StringToCoTaskMemUTF8(s)).ToArray();
        try
        {
            var program = IntPtr.Zero;
            fixed (IntPtr* pointers = handles)
            {
                var p = (byte**)pointers;
                Check(create(&program, p[0], p[1], headers.Count, p + 2, p + 2 + headers.Count), "nvrtcCreateProgram");
                var status = 0;
                var programHandle = program;
                var optionPointers = (IntPtr)(p + 2 + 2 * headers.Count);
                var optionCount = options.Length;
                // NVRTC and its ptxas need a deeper native stack than test-runner threads have.
                var thread = new Thread(() => status = CompileOnThread(compile, programHandle, optionCount, optionPointers), 64 * 1024 * 1024);
                thread.Start();
                thread.Join();
                nuint size;
                Check(logSize(program, &size), "nvrtcGetProgramLogSize");
                var log = new byte[Math.Max((int)size, 1)];
                fixed (byte* l = log) Check(getLog(program, l), "nvrtcGetProgramLog");
                var text = Encoding.UTF8.GetString(log).TrimEnd('\0');
                nuint cubin = 0;
                if (status == 0) Check(cubinSize(program, &cubin), "nvrtcGetCUBINSize");
                destroy(&program);
                return new Result(status == 0, text, (int)cubin);
            }
        }
        finally
        {
            foreach (var h in handles) Marshal.FreeCoTaskMem(h);
        }
    }

    /// <summary>Registers and spill bytes per entry point from ptxas -v.</summary>
    public static List<EntryUsage> Usage(string log)
    {
        var result = new List<EntryUsage>();
        string? kernel = null;
        int stores = 0, loads = 0;
        foreach (var line in log.Split('\n'))
        {
            var entry = EntryPattern().Match(line);
            if (entry.Success) { kernel = entry.Groups[1].Value; continue; }
            var spill = SpillPattern().Match(line);
            if (spill.Success) { stores = int.Parse(spill.Groups[1].Value); loads = int.Parse(spill.Groups[2].Value); continue; }
            var registers = RegisterPattern().Match(line);
            if (registers.Success && kernel is not null)
            {
                result.Add(new EntryUsage(kernel, int.Parse(registers.Groups[1].Value), stores, loads));
                kernel = null;
            }
        }
        return result;
    }

    private static int CompileOnThread(delegate* unmanaged<IntPtr, int, byte**, int> compile, IntPtr program, int count, IntPtr options) =>
        compile(program, count, (byte**)options);

    private static IntPtr Export(string name) => NativeLibrary.GetExport(Library.Value, name);

    private static void Check(int status, string call)
    {
        if (status != 0) throw new InvalidOperationException($"{call} failed with NVRTC status {status}");
    }

    [GeneratedRegex(@"Compiling entry function '(\w+)'")]
    private static partial Regex EntryPattern();

    [GeneratedRegex(@"(\d+) bytes spill stores, (\d+) bytes spill loads")]
    private static partial Regex SpillPattern();

    [GeneratedRegex(@"Used (\d+) registers")]
    private static partial Regex RegisterPattern();
}
