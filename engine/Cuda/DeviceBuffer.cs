using System.Diagnostics;

namespace StyleAlign.Engine.Cuda;

/// <summary>
/// One device allocation from a <see cref="CudaContext"/>'s stream-ordered pool: a device address and a size.
/// Disposing returns it to the pool in stream order. The finalizer never calls CUDA (the context may be gone,
/// and the finalizer thread has no current context); in debug builds it reports the leak instead.
/// </summary>
public sealed class DeviceBuffer : IDisposable
{
    internal DeviceBuffer(CudaContext context, ulong pointer, long bytes)
    {
        Context = context;
        Pointer = pointer;
        Bytes = bytes;
#if DEBUG
        // Capturing a stack per allocation is slow, so the allocation site is recorded only on request.
        if (TraceAllocationSites) _allocatedAt = new StackTrace(2, false).ToString();
#endif
    }

    public CudaContext Context { get; }

    /// <summary>Device address (CUdeviceptr); 0 once disposed.</summary>
    public ulong Pointer { get; private set; }

    public long Bytes { get; }
    public bool IsDisposed => Pointer == 0;

    /// <summary>Device address of a byte offset inside the buffer, bounds-checked.</summary>
    public ulong At(long byteOffset)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (byteOffset < 0 || byteOffset > Bytes)
            throw new ArgumentOutOfRangeException(nameof(byteOffset), $"Offset {byteOffset} is outside the buffer of {Bytes} bytes.");
        return Pointer + (ulong)byteOffset;
    }

    public void Dispose()
    {
        if (Pointer == 0) return;
        Context.Release(Pointer, Bytes);
        Pointer = 0;
        GC.SuppressFinalize(this);
    }

#if DEBUG
    private static readonly bool TraceAllocationSites = Environment.GetEnvironmentVariable("STYLEALIGN_TRACE_LEAKS") == "1";
    private readonly string _allocatedAt = "(set STYLEALIGN_TRACE_LEAKS=1 to record allocation sites)";
#endif

    ~DeviceBuffer()
    {
#if DEBUG
        if (Pointer != 0) Trace.TraceWarning($"DeviceBuffer of {Bytes} bytes leaked (never disposed); allocated at:{Environment.NewLine}{_allocatedAt}");
#endif
    }
}
