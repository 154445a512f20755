using System.Runtime.InteropServices;
using StyleAlign.Engine.Cuda.Interop;

namespace StyleAlign.Engine.Cuda;

/// <summary>Device memory: stream-ordered pool allocation with statistics, and staged host↔device copies.</summary>
public sealed unsafe partial class CudaContext
{
    private const long StagingBytes = 16L << 20;

    private readonly Lock _statsGate = new();

    /// <summary>One pinned staging buffer serves every thread: a copy holds it from its first chunk to its last.</summary>
    private readonly Lock _stagingGate = new();
    private IntPtr _pool;
    private bool _usesPool;
    private long _currentBytes, _peakBytes, _liveBuffers, _allocationCount;
    private byte* _staging;

    /// <summary>Bytes held by live <see cref="DeviceBuffer"/>s.</summary>
    public long CurrentBytes { get { lock (_statsGate) return _currentBytes; } }

    /// <summary>Highest <see cref="CurrentBytes"/> since creation or <see cref="ResetPeak"/>.</summary>
    public long PeakBytes { get { lock (_statsGate) return _peakBytes; } }

    public long LiveBuffers { get { lock (_statsGate) return _liveBuffers; } }
    public long AllocationCount { get { lock (_statsGate) return _allocationCount; } }

    /// <summary>True when memory comes from the driver's stream-ordered pool (false on devices without pools).</summary>
    public bool UsesMemoryPool => _usesPool;

    /// <summary>Bytes the pool has reserved from the device (freed blocks stay reserved for reuse); 0 without a pool.</summary>
    public long PoolReservedBytes => PoolAttribute(CuDriver.MemPoolAttrReservedMemCurrent);

    public void ResetPeak() { lock (_statsGate) _peakBytes = _currentBytes; }

    /// <summary>Free and total device memory as the driver reports them.</summary>
    public (long FreeBytes, long TotalBytes) MemoryInfo()
    {
        MakeCurrent();
        nuint free, total;
        CudaCheck.Driver(CuDriver.cuMemGetInfo_v2(&free, &total));
        return ((long)free, (long)total);
    }

    private void InitializePool()
    {
        int supported;
        _usesPool = CuDriver.cuDeviceGetAttribute(&supported, CuDriver.AttributeMemoryPoolsSupported, Device) == CuDriver.Success && supported != 0;
        if (!_usesPool) return;
        IntPtr pool;
        CudaCheck.Driver(CuDriver.cuDeviceGetDefaultMemPool(&pool, Device));
        // Keep freed blocks in the pool instead of returning them at every synchronisation: this is what makes
        // the per-step allocate/free pattern of training cheap.
        var threshold = ulong.MaxValue;
        CudaCheck.Driver(CuDriver.cuMemPoolSetAttribute(pool, CuDriver.MemPoolAttrReleaseThreshold, &threshold));
        _pool = pool;
    }

    private long PoolAttribute(int attribute)
    {
        if (!_usesPool) return 0;
        ulong value;
        CudaCheck.Driver(CuDriver.cuMemPoolGetAttribute(_pool, attribute, &value));
        return (long)value;
    }

    /// <summary>Allocates <paramref name="bytes"/> of device memory in stream order. Contents are undefined.</summary>
    public DeviceBuffer Allocate(long bytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        MakeCurrent();
        var size = (nuint)Math.Max(bytes, 1);
        ulong pointer;
        var result = _usesPool ? CuDriver.cuMemAllocAsync(&pointer, size, _stream) : CuDriver.cuMemAlloc_v2(&pointer, size);
        if (result == CuDriver.ErrorOutOfMemory)
        {
            // The pool may hold freed blocks that a synchronisation and trim would return; try once more.
            CudaCheck.Driver(CuDriver.cuStreamSynchronize(_stream));
            if (_usesPool) CuDriver.cuMemPoolTrimTo(_pool, 0);
            result = _usesPool ? CuDriver.cuMemAllocAsync(&pointer, size, _stream) : CuDriver.cuMemAlloc_v2(&pointer, size);
        }
        if (result == CuDriver.ErrorOutOfMemory) throw OutOfMemory(bytes, result);
        CudaCheck.Driver(result, call: $"cuMemAllocAsync({bytes} bytes)");
        lock (_statsGate)
        {
            _currentBytes += bytes;
            _peakBytes = Math.Max(_peakBytes, _currentBytes);
            _liveBuffers++;
            _allocationCount++;
        }
        return new DeviceBuffer(this, pointer, bytes);
    }

    private CudaException OutOfMemory(long requested, int result)
    {
        var (free, total) = MemoryInfo();
        return new CudaException($"cuMemAllocAsync({requested} bytes)", result, CuDriver.ErrorName(result),
            detail: $"cuda:{DeviceIndex} ({DeviceName}) cannot allocate the requested {requested:N0} bytes ({requested / 1048576.0:F1} MiB): " +
                    $"{free:N0} bytes free of {total:N0} total; this process holds {CurrentBytes:N0} bytes in {LiveBuffers} buffers " +
                    $"(peak {PeakBytes:N0}). Try a smaller batch, shorter sequences or smaller images, activation " +
                    "checkpointing, LoRA instead of full fine-tuning, or a device with more memory");
    }

    internal void Release(ulong pointer, long bytes)
    {
        if (_disposed) return; // the primary context is gone and took the memory with it
        MakeCurrent();
        CudaCheck.Driver(_usesPool ? CuDriver.cuMemFreeAsync(pointer, _stream) : CuDriver.cuMemFree_v2(pointer));
        lock (_statsGate)
        {
            _currentBytes -= bytes;
            _liveBuffers--;
        }
    }

    /// <summary>Copies host data to the device through a pinned staging buffer; returns when the copy is done. Any size.</summary>
    public void CopyToDevice<T>(ReadOnlySpan<T> source, DeviceBuffer destination, long destinationOffsetBytes = 0) where T : unmanaged
    {
        // Byte counts stay long: a span of more than 2 GiB cannot be viewed as one span of bytes.
        fixed (T* data = source) CopyToDevice((byte*)data, (long)source.Length * sizeof(T), destination, destinationOffsetBytes);
    }

    /// <summary>Copies device data to the host through a pinned staging buffer, after all queued work. Any size.</summary>
    public void CopyToHost<T>(DeviceBuffer source, Span<T> destination, long sourceOffsetBytes = 0) where T : unmanaged
    {
        fixed (T* data = destination) CopyToHost(source, (byte*)data, (long)destination.Length * sizeof(T), sourceOffsetBytes);
    }

    private void CopyToDevice(byte* source, long bytes, DeviceBuffer destination, long destinationOffsetBytes)
    {
        CheckRange(destination, destinationOffsetBytes, bytes);
        lock (_stagingGate)
        {
            MakeCurrent();
            var staging = Staging();
            for (long done = 0; done < bytes; done += StagingBytes)
            {
                var chunk = Math.Min(StagingBytes, bytes - done);
                Buffer.MemoryCopy(source + done, staging, chunk, chunk);
                CudaCheck.Driver(CuDriver.cuMemcpyHtoDAsync_v2(destination.At(destinationOffsetBytes + done), staging, (nuint)chunk, _stream));
                CudaCheck.Driver(CuDriver.cuStreamSynchronize(_stream)); // the staging buffer is reused by the next chunk
            }
        }
    }

    private void CopyToHost(DeviceBuffer source, byte* destination, long bytes, long sourceOffsetBytes)
    {
        CheckRange(source, sourceOffsetBytes, bytes);
        lock (_stagingGate)
        {
            MakeCurrent();
            var staging = Staging();
            for (long done = 0; done < bytes; done += StagingBytes)
            {
                var chunk = Math.Min(StagingBytes, bytes - done);
                CudaCheck.Driver(CuDriver.cuMemcpyDtoHAsync_v2(staging, source.At(sourceOffsetBytes + done), (nuint)chunk, _stream));
                CudaCheck.Driver(CuDriver.cuStreamSynchronize(_stream));
                Buffer.MemoryCopy(staging, destination + done, chunk, chunk);
            }
        }
    }

    /// <summary>Queues a device-to-device copy.</summary>
    public void CopyDeviceToDevice(DeviceBuffer source, long sourceOffsetBytes, DeviceBuffer destination, long destinationOffsetBytes, long bytes)
    {
        CheckRange(source, sourceOffsetBytes, bytes);
        CheckRange(destination, destinationOffsetBytes, bytes);
        MakeCurrent();
        CudaCheck.Driver(CuDriver.cuMemcpyDtoDAsync_v2(destination.At(destinationOffsetBytes), source.At(sourceOffsetBytes), (nuint)bytes, _stream));
    }

    /// <summary>Queues setting <paramref name="bytes"/> bytes to <paramref name="value"/>.</summary>
    public void Fill(DeviceBuffer buffer, byte value, long offsetBytes = 0, long bytes = -1)
    {
        if (bytes < 0) bytes = buffer.Bytes - offsetBytes;
        CheckRange(buffer, offsetBytes, bytes);
        MakeCurrent();
        CudaCheck.Driver(CuDriver.cuMemsetD8Async(buffer.At(offsetBytes), value, (nuint)bytes, _stream));
    }

    /// <summary>Queues setting <paramref name="count"/> 32-bit words (e.g. fp32 1.0f as its bit pattern).</summary>
    public void Fill32(DeviceBuffer buffer, uint value, long offsetBytes, long count)
    {
        CheckRange(buffer, offsetBytes, count * 4);
        if (offsetBytes % 4 != 0) throw new ArgumentException($"Fill32 needs a 4-byte aligned offset, got {offsetBytes}.", nameof(offsetBytes));
        MakeCurrent();
        CudaCheck.Driver(CuDriver.cuMemsetD32Async(buffer.At(offsetBytes), value, (nuint)count, _stream));
    }

    private static void CheckRange(DeviceBuffer buffer, long offset, long bytes)
    {
        ObjectDisposedException.ThrowIf(buffer.IsDisposed, buffer);
        if (offset < 0 || bytes < 0 || offset + bytes > buffer.Bytes)
            throw new ArgumentOutOfRangeException(nameof(bytes), $"Range [{offset}, {offset + bytes}) lies outside the device buffer of {buffer.Bytes} bytes.");
    }

    private byte* Staging()
    {
        if (_staging != null) return _staging;
        void* pinned;
        CudaCheck.Driver(CuDriver.cuMemHostAlloc(&pinned, (nuint)StagingBytes, CuDriver.HostAllocPortable));
        _staging = (byte*)pinned;
        return _staging;
    }

    private void DisposeStaging()
    {
        lock (_stagingGate)
        {
            if (_staging == null) return;
            CuDriver.cuMemFreeHost(_staging);
            _staging = null;
        }
    }
}
