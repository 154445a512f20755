using System.Runtime.InteropServices;
using StyleAlign.Engine.Cuda.Interop;

namespace StyleAlign.Engine.Cuda;

/// <summary>
/// One CUDA device in use: its primary context, one compute stream, a cuBLAS handle with its workspace, the
/// stream-ordered allocator and the kernel cache. Everything the engine issues goes to <see cref="Stream"/>, in order.
/// Obtain it with <see cref="Get"/> (one shared instance per device) — no GPU is a normal state, see <see cref="IsAvailable"/>.
/// </summary>
public sealed unsafe partial class CudaContext : IDisposable
{
    private static readonly Lock InstancesGate = new();
    private static readonly Dictionary<int, CudaContext> Instances = new();
    [ThreadStatic] private static IntPtr _currentOnThread;

    private readonly IntPtr _context;
    private IntPtr _stream;
    private IntPtr _cublas;
    private DeviceBuffer? _cublasWorkspace;
    private KernelCache? _kernels;
    private bool _disposed;

    /// <summary>Guards the lazy creation of the kernel cache and the cuBLAS handle, which any thread may ask for first.</summary>
    private readonly Lock _lazyGate = new();

    /// <summary>True when a CUDA device can be used in this process. Never throws.</summary>
    public static bool IsAvailable => CudaProbe.Current.HasDevice;

    /// <summary>Why <see cref="IsAvailable"/> is false ("no CUDA driver library ...", "cuInit returned 100 ..."); null when available.</summary>
    public static string? UnavailableReason => CudaProbe.Current.UnavailableReason;

    /// <summary>The shared context of device <paramref name="deviceIndex"/>, created on first use.</summary>
    public static CudaContext Get(int deviceIndex = 0)
    {
        lock (InstancesGate)
        {
            if (Instances.TryGetValue(deviceIndex, out var existing) && !existing._disposed) return existing;
            var created = new CudaContext(deviceIndex);
            Instances[deviceIndex] = created;
            return created;
        }
    }

    /// <summary>The shared context of a device named "cuda" or "cuda:N".</summary>
    public static CudaContext Get(string deviceSpec) => Get(CudaDeviceSpec.Parse(deviceSpec));

    private CudaContext(int deviceIndex)
    {
        if (!IsAvailable) throw new InvalidOperationException($"No CUDA device: {UnavailableReason}.");
        var count = CudaProbe.Current.DeviceCount;
        if (deviceIndex < 0 || deviceIndex >= count)
            throw new ArgumentOutOfRangeException(nameof(deviceIndex), $"cuda:{deviceIndex} does not exist: this machine has {count} CUDA device(s).");
        DeviceIndex = deviceIndex;
        int device;
        CudaCheck.Driver(CuDriver.cuDeviceGet(&device, deviceIndex));
        Device = device;
        IntPtr context;
        CudaCheck.Driver(CuDriver.cuDevicePrimaryCtxRetain(&context, device));
        _context = context;
        MakeCurrent();

        var name = stackalloc byte[256];
        CudaCheck.Driver(CuDriver.cuDeviceGetName(name, 256, device));
        DeviceName = Marshal.PtrToStringUTF8((IntPtr)name) ?? "unknown";
        ComputeCapabilityMajor = Attribute(CuDriver.AttributeComputeCapabilityMajor);
        ComputeCapabilityMinor = Attribute(CuDriver.AttributeComputeCapabilityMinor);
        MultiprocessorCount = Attribute(CuDriver.AttributeMultiprocessorCount);
        MaxSharedMemoryPerBlockOptin = Attribute(CuDriver.AttributeMaxSharedMemoryPerBlockOptin);
        nuint total;
        CudaCheck.Driver(CuDriver.cuDeviceTotalMem_v2(&total, device));
        TotalMemoryBytes = (long)total;

        IntPtr stream;
        CudaCheck.Driver(CuDriver.cuStreamCreate(&stream, CuDriver.StreamNonBlocking));
        _stream = stream;
        InitializePool();
    }

    public int DeviceIndex { get; }

    /// <summary>The driver's CUdevice handle.</summary>
    public int Device { get; }

    public string DeviceName { get; }
    public int ComputeCapabilityMajor { get; }
    public int ComputeCapabilityMinor { get; }

    /// <summary>The NVRTC target for this device, "sm_80" for compute capability 8.0.</summary>
    public string Architecture => KernelCompiler.ArchitectureFor(ComputeCapabilityMajor, ComputeCapabilityMinor);

    public int MultiprocessorCount { get; }
    public int MaxSharedMemoryPerBlockOptin { get; }
    public long TotalMemoryBytes { get; }

    /// <summary>The compute stream (CUstream) every operation is queued on.</summary>
    public IntPtr Stream
    {
        get { ObjectDisposedException.ThrowIf(_disposed, this); return _stream; }
    }

    /// <summary>Kernels compiled for this device, loaded on first use.</summary>
    public KernelCache Kernels
    {
        get
        {
            var kernels = Volatile.Read(ref _kernels);
            if (kernels is not null) return kernels;
            lock (_lazyGate) return _kernels ??= new KernelCache(this);
        }
    }

    /// <summary>cuBLAS handle bound to <see cref="Stream"/> with a 32 MiB workspace; created on first use (needs libcublas).</summary>
    public IntPtr CublasHandle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var existing = Volatile.Read(ref _cublas);
            if (existing != IntPtr.Zero) return existing;
            lock (_lazyGate)
            {
                if (_cublas != IntPtr.Zero) return _cublas;
                if (!NativeLibraries.TryLoad(CudaLibrary.Cublas, out _, out var detail))
                    throw new InvalidOperationException($"cuBLAS is not available: {detail}.");
                MakeCurrent();
                IntPtr handle;
                CudaCheck.Cublas(Cublas.cublasCreate_v2(&handle));
                CudaCheck.Cublas(Cublas.cublasSetStream_v2(handle, _stream));
                const long workspaceBytes = 32L << 20;
                _cublasWorkspace = Allocate(workspaceBytes);
                CudaCheck.Cublas(Cublas.cublasSetWorkspace_v2(handle, (void*)_cublasWorkspace.Pointer, (nuint)workspaceBytes));
                Volatile.Write(ref _cublas, handle);
                return handle;
            }
        }
    }

    /// <summary>Makes this device's primary context current on the calling thread (cheap when it already is).</summary>
    public void MakeCurrent()
    {
        if (_currentOnThread == _context) return;
        CudaCheck.Driver(CuDriver.cuCtxSetCurrent(_context));
        _currentOnThread = _context;
    }

    /// <summary>Waits for everything queued on the compute stream.</summary>
    public void Synchronize()
    {
        MakeCurrent();
        CudaCheck.Driver(CuDriver.cuStreamSynchronize(Stream));
    }

    /// <summary>Device time of the work <paramref name="enqueue"/> queues on the stream, measured with CUDA events.</summary>
    public float TimeMilliseconds(Action enqueue)
    {
        MakeCurrent();
        IntPtr start, end;
        CudaCheck.Driver(CuDriver.cuEventCreate(&start, CuDriver.EventDefault));
        CudaCheck.Driver(CuDriver.cuEventCreate(&end, CuDriver.EventDefault));
        try
        {
            CudaCheck.Driver(CuDriver.cuEventRecord(start, Stream));
            enqueue();
            CudaCheck.Driver(CuDriver.cuEventRecord(end, Stream));
            CudaCheck.Driver(CuDriver.cuEventSynchronize(end));
            float milliseconds;
            CudaCheck.Driver(CuDriver.cuEventElapsedTime(&milliseconds, start, end));
            return milliseconds;
        }
        finally
        {
            CuDriver.cuEventDestroy_v2(start);
            CuDriver.cuEventDestroy_v2(end);
        }
    }

    private int Attribute(int attribute)
    {
        int value;
        CudaCheck.Driver(CuDriver.cuDeviceGetAttribute(&value, attribute, Device));
        return value;
    }

    public void Dispose()
    {
        if (_disposed) return;
        MakeCurrent();
        CuDriver.cuStreamSynchronize(_stream);
        _kernels?.Dispose();
        if (_cublas != IntPtr.Zero) Cublas.cublasDestroy_v2(_cublas);
        _cublasWorkspace?.Dispose();
        DisposeStaging();
        CuDriver.cuStreamSynchronize(_stream);
        CuDriver.cuStreamDestroy_v2(_stream);
        _stream = IntPtr.Zero;
        CuDriver.cuDevicePrimaryCtxRelease_v2(Device);
        _currentOnThread = IntPtr.Zero;
        _disposed = true;
        lock (InstancesGate)
        {
            if (Instances.TryGetValue(DeviceIndex, out var registered) && ReferenceEquals(registered, this)) Instances.Remove(DeviceIndex);
        }
    }
}
