using System.Text;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Interop;

namespace StyleAlign.Tests.Cuda;

/// <summary>
/// A kernel module compiled by the engine's compiler (NVRTC, or the CPU stand-in's) from source text a test wrote, loaded
/// into a context and launched by entry-point name through the engine's <see cref="KernelLauncher"/> and
/// <see cref="KernelArgs"/>. Kernels of the embedded families are launched through their launcher classes instead, with
/// <see cref="EditedKernels"/> where a test needs a deliberately broken variant.
/// </summary>
internal sealed unsafe class TestModule : IDisposable
{
    private readonly CudaContext _context;
    private readonly KernelLauncher _launcher;
    private readonly Dictionary<string, IntPtr> _functions = new();
    private IntPtr _module;

    private TestModule(CudaContext context, IntPtr module)
    {
        _context = context;
        _module = module;
        _launcher = new KernelLauncher(context);
    }

    /// <summary>Compiles <paramref name="source"/> for the context's architecture and loads it; <paramref name="headers"/> replace the embedded ones.</summary>
    public static TestModule Compile(CudaContext context, string name, string source, IReadOnlyList<string>? options = null,
        IReadOnlyList<KeyValuePair<string, string>>? headers = null)
    {
        var compilation = KernelCompiler.CompileSource(name, source, context.Architecture, [.. KernelCompiler.DefaultOptions, .. options ?? []], headers);
        context.MakeCurrent();
        IntPtr module;
        fixed (byte* image = compilation.Cubin) CudaCheck.Driver(CuDriver.cuModuleLoadData(&module, image), call: $"cuModuleLoadData({name})");
        return new TestModule(context, module);
    }

    public IntPtr Function(string kernel)
    {
        if (_functions.TryGetValue(kernel, out var function)) return function;
        var name = Encoding.UTF8.GetBytes(kernel + "\0");
        fixed (byte* p = name) CudaCheck.Driver(CuDriver.cuModuleGetFunction(&function, _module, p), call: $"cuModuleGetFunction({kernel})");
        _functions[kernel] = function;
        return function;
    }

    public void Launch(string kernel, LaunchConfig config, KernelArgs args) => _launcher.Launch(Function(kernel), kernel, config, args);

    public void Dispose()
    {
        if (_module == IntPtr.Zero) return;
        _context.MakeCurrent();
        CuDriver.cuModuleUnload(_module);
        _module = IntPtr.Zero;
    }
}

/// <summary>One textual change to an embedded kernel file ("norms.cu", "common.cuh"): the first occurrence of Find becomes Replace.</summary>
internal readonly record struct SourceEdit(string File, string Find, string Replace)
{
    public string ApplyTo(string text)
    {
        var at = text.IndexOf(Find, StringComparison.Ordinal);
        if (at < 0) throw new ArgumentException($"{File} does not contain the text to change: {Find}");
        return text[..at] + Replace + text[(at + Find.Length)..];
    }
}

/// <summary>
/// Launches the embedded families' entry points from modules compiled with edits applied to their sources or headers,
/// so a launcher class (<c>new NormsKernels(edited)</c>) runs a deliberately broken variant with the argument lists the
/// engine passes. Each (family, options) module is compiled on its first launch with the edits of its .cu and of every
/// header; an edit whose text is not in its file throws, so a test cannot silently run the unbroken kernel.
/// </summary>
internal sealed class EditedKernels(CudaContext context, params SourceEdit[] edits) : IKernelLauncher, IDisposable
{
    private readonly Dictionary<string, TestModule> _modules = new(StringComparer.Ordinal);

    public void Launch(KernelEntry kernel, LaunchConfig config, KernelArgs args) => Module(kernel).Launch(kernel.Name, config, args);

    private TestModule Module(KernelEntry kernel)
    {
        var key = kernel.ToString();
        if (_modules.TryGetValue(key, out var module)) return module;
        var source = KernelSources.Source(kernel.Family);
        var headers = KernelSources.Headers.ToList();
        foreach (var edit in edits)
        {
            if (edit.File.EndsWith(".cu", StringComparison.Ordinal))
            {
                if (edit.File == kernel.Family + ".cu") source = edit.ApplyTo(source);
                continue;
            }
            var header = headers.FindIndex(h => h.Key == edit.File);
            if (header < 0) throw new ArgumentException($"{edit.File} is not an embedded header");
            headers[header] = new(edit.File, edit.ApplyTo(headers[header].Value));
        }
        module = TestModule.Compile(context, kernel.Family, source, kernel.Options, headers);
        _modules[key] = module;
        return module;
    }

    public void Dispose()
    {
        foreach (var module in _modules.Values) module.Dispose();
        _modules.Clear();
    }
}

/// <summary>Passes launches on with a geometry of the test's choosing (a capped grid, an odd block), arguments unchanged.</summary>
internal sealed class LaunchGeometryOverride(IKernelLauncher inner, Func<LaunchConfig, LaunchConfig> geometry) : IKernelLauncher
{
    public void Launch(KernelEntry kernel, LaunchConfig config, KernelArgs args) => inner.Launch(kernel, geometry(config), args);
}
