using System.Text;
using StyleAlign.Engine.Cuda.Interop;

namespace StyleAlign.Engine.Cuda;

/// <summary>
/// Kernel modules and functions of one device: a family is compiled for the device's architecture (through
/// <see cref="KernelDiskCache"/>), loaded once as a module, and each entry point looked up once.
/// </summary>
public sealed unsafe class KernelCache : IDisposable
{
    private readonly CudaContext _context;
    private readonly string _directory;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IntPtr> _modules = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Module, string Kernel), IntPtr> _functions = new();

    public KernelCache(CudaContext context, string? cacheDirectory = null)
    {
        _context = context;
        _directory = cacheDirectory ?? KernelDiskCache.DefaultDirectory;
    }

    public string CacheDirectory => _directory;

    /// <summary>The loaded CUmodule of a family ("norms"), compiled with the given options besides the defaults.</summary>
    public IntPtr GetModule(string family, IReadOnlyList<string>? options = null)
    {
        lock (_gate)
        {
            var key = ModuleKey(family, options);
            if (_modules.TryGetValue(key, out var module)) return module;
            var compileOptions = options is { Count: > 0 } ? [.. KernelCompiler.DefaultOptions, .. options] : KernelCompiler.DefaultOptions;
            var image = KernelDiskCache.GetOrCompile(family, _context.Architecture, _directory, compileOptions);
            _context.MakeCurrent();
            fixed (byte* cubin = image.Cubin) CudaCheck.Driver(CuDriver.cuModuleLoadData(&module, cubin), call: $"cuModuleLoadData({key} for {image.Architecture})");
            _modules[key] = module;
            return module;
        }
    }

    /// <summary>The CUfunction of an entry point ("rmsnorm_fwd_bf16" of "norms"), in the module its options select.</summary>
    public IntPtr GetFunction(KernelEntry entry)
    {
        lock (_gate)
        {
            var key = ModuleKey(entry.Family, entry.Options);
            if (_functions.TryGetValue((key, entry.Name), out var function)) return function;
            var module = GetModule(entry.Family, entry.Options);
            var name = Encoding.UTF8.GetBytes(entry.Name + "\0");
            fixed (byte* p = name)
            {
                var result = CuDriver.cuModuleGetFunction(&function, module, p);
                if (result != CuDriver.Success)
                    throw new CudaException($"cuModuleGetFunction({key}, \"{entry.Name}\")", result, CuDriver.ErrorName(result),
                        detail: $"kernels/{entry.Family}.cu has no extern \"C\" entry point named '{entry.Name}'");
            }
            _functions[(key, entry.Name)] = function;
            return function;
        }
    }

    private static string ModuleKey(string family, IReadOnlyList<string>? options) =>
        options is { Count: > 0 } ? $"{family}.cu [{string.Join(' ', options)}]" : $"{family}.cu";

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var module in _modules.Values) CuDriver.cuModuleUnload(module);
            _modules.Clear();
            _functions.Clear();
        }
    }
}
