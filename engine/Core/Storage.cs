namespace StyleAlign.Engine.Core;

/// <summary>
/// Flat, untyped-by-shape element buffer shared by a tensor and its views. Reference-counted: the tensor that
/// creates it holds one reference, each view retains another, and the last release frees it.
/// </summary>
public abstract class Storage
{
    private int _references = 1;

    protected Storage(DType dtype, Device device, long count)
    {
        DType = dtype;
        Device = device;
        Count = count;
    }

    public DType DType { get; }

    public Device Device { get; }

    /// <summary>Number of elements.</summary>
    public long Count { get; }

    public long Bytes => Count * DType.SizeOf();

    public bool IsFreed => Volatile.Read(ref _references) <= 0;

    /// <summary>Whether exactly one tensor (no view besides it) holds this storage.</summary>
    internal bool IsExclusive => Volatile.Read(ref _references) == 1;

    public void Retain()
    {
        if (Interlocked.Increment(ref _references) <= 1)
            throw new ObjectDisposedException(nameof(Storage), "retained a storage that was already freed");
    }

    public void Release()
    {
        var left = Interlocked.Decrement(ref _references);
        if (left == 0) Free();
        else if (left < 0) throw new ObjectDisposedException(nameof(Storage), "released a storage more times than it was retained");
    }

    protected abstract void Free();
}
