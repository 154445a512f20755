using System.Text;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Interop;

namespace StyleAlign.Tests.Cuda;

/// <summary>
/// A kernel module compiled by the engine's compiler (NVRTC, or the CPU stand-in's) from source text and loaded into a
/// context, then launched through the engine's <see cref="KernelLauncher"/> and <see cref="KernelArgs"/>. For kernels whose
/// host side does not exist yet, modules built with other options (a head dim), and deliberately broken variants.
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

    /// <summary>Compiles <paramref name="source"/> (with the embedded headers) for the context's architecture and loads it.</summary>
    public static TestModule Compile(CudaContext context, string name, string source, params string[] options)
    {
        var compilation = KernelCompiler.CompileSource(name, source, context.Architecture, [.. KernelCompiler.DefaultOptions, .. options]);
        context.MakeCurrent();
        IntPtr module;
        fixed (byte* image = compilation.Cubin) CudaCheck.Driver(CuDriver.cuModuleLoadData(&module, image), call: $"cuModuleLoadData({name})");
        return new TestModule(context, module);
    }

    /// <summary>An embedded family, optionally with edits: each (file, find, replace) changes the family's source or a header it includes.</summary>
    public static TestModule Family(CudaContext context, string family, string[] options, params (string File, string Find, string Replace)[] edits)
    {
        var source = KernelSources.Source(family);
        foreach (var (file, find, replace) in edits)
        {
            if (file != family + ".cu")
            {
                // A header edit: paste the edited header where the family includes it.
                var header = KernelSources.Headers.Single(h => h.Key == file).Value;
                var include = $"#include \"{file}\"";
                if (!source.Contains(include)) throw new ArgumentException($"{family}.cu does not include {file}");
                source = source.Replace(include, Edit(header, find, replace, file));
            }
            else source = Edit(source, find, replace, file);
        }
        return Compile(context, family, source, options);
    }

    private static string Edit(string text, string find, string replace, string file)
    {
        var at = text.IndexOf(find, StringComparison.Ordinal);
        if (at < 0) throw new ArgumentException($"{file} does not contain the text to change: {find}");
        return text[..at] + replace + text[(at + find.Length)..];
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
