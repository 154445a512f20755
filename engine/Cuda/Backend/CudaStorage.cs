using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cuda.Backend;

/// <summary>Device storage: one <see cref="DeviceBuffer"/> holding Count elements of the dtype; the last release frees it.</summary>
public sealed class CudaStorage : Storage
{
    private readonly DeviceBuffer _buffer;

    public CudaStorage(DeviceBuffer buffer, DType dtype, long count, Device device)
        : base(dtype, device, count)
    {
        if (buffer.Bytes < count * dtype.SizeOf())
            throw new ArgumentException($"a device buffer of {buffer.Bytes} bytes cannot hold {count} {dtype} elements");
        _buffer = buffer;
    }

    public DeviceBuffer Buffer => _buffer.IsDisposed ? throw new ObjectDisposedException(nameof(CudaStorage), "storage was freed") : _buffer;

    /// <summary>Device address of element <paramref name="elementOffset"/>.</summary>
    public ulong At(long elementOffset) => Buffer.At(elementOffset * DType.SizeOf());

    protected override void Free() => _buffer.Dispose();
}
