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
    private readonly Dictionary<(string Family, string Kernel), IntPtr> _functions = new();

    public KernelCache(CudaContext context, string? cacheDirectory = null)
    {
        _context = context;
        _directory = cacheDirectory ?? KernelDiskCache.DefaultDirectory;
    }

    public string CacheDirectory => _directory;

    /// <summary>The loaded CUmodule of a family ("norms").</summary>
    public IntPtr GetModule(string family)
    {
        lock (_gate)
        {
            if (_modules.TryGetValue(family, out var module)) return module;
            var image = KernelDiskCache.GetOrCompile(family, _context.Architecture, _directory);
            _context.MakeCurrent();
            fixed (byte* cubin = image.Cubin) CudaCheck.Driver(CuDriver.cuModuleLoadData(&module, cubin), call: $"cuModuleLoadData({family}.cu for {image.Architecture})");
            _modules[family] = module;
            return module;
        }
    }

    /// <summary>The CUfunction of an entry point ("rmsnorm_fwd_bf16") in a family ("norms").</summary>
    public IntPtr GetFunction(string family, string kernel)
    {
        lock (_gate)
        {
            if (_functions.TryGetValue((family, kernel), out var function)) return function;
            var module = GetModule(family);
            var name = Encoding.UTF8.GetBytes(kernel + "\0");
            fixed (byte* p = name)
            {
                var result = CuDriver.cuModuleGetFunction(&function, module, p);
                if (result != CuDriver.Success)
                    throw new CudaException($"cuModuleGetFunction({family}.cu, \"{kernel}\")", result, CuDriver.ErrorName(result),
                        detail: $"kernels/{family}.cu has no extern \"C\" entry point named '{kernel}'");
            }
            _functions[(family, kernel)] = function;
            return function;
        }
    }

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
