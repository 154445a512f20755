using System.Runtime.InteropServices;
using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cpu;

/// <summary>
/// CPU storage: native memory holding the dtype's host type (bf16 as raw ushort bits, bool as byte). Either a block
/// of <see cref="CpuMemoryPool"/>, which the last release returns to the pool, or a region of a memory-mapped file
/// (a checkpoint's frozen weights), which holds a reference on the mapping until the last release. A storage that
/// is never released is reclaimed by its finalizer, so a forgotten tensor costs memory only until a collection.
/// </summary>
public sealed unsafe class CpuStorage : Storage
{
    private readonly SafeHandle? _mapping;
    private nint _pointer;

    /// <summary>A pool block of <paramref name="count"/> elements, zero-filled unless <paramref name="zero"/> is false.</summary>
    public CpuStorage(DType dtype, long count, bool zero = true)
        : base(dtype, Device.Cpu, count)
    {
        if (count > Array.MaxLength) throw new OutOfMemoryException($"a CPU tensor of {count} elements exceeds the largest tensor the CPU backend addresses ({Array.MaxLength})");
        _pointer = CpuMemoryPool.Rent(Bytes, zero);
    }

    /// <summary>A pool block holding a copy of a host array of the dtype's host type.</summary>
    public CpuStorage(DType dtype, Array data)
        : this(dtype, data.LongLength, zero: false)
    {
        if (data.GetType().GetElementType() != dtype.HostType())
        {
            FreeMemory();
            GC.SuppressFinalize(this);
            throw new ArgumentException($"a {data.GetType().Name} cannot hold {dtype} elements (expected {dtype.HostType().Name}[])");
        }
        var source = MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(data), checked((int)Bytes));
        source.CopyTo(new Span<byte>((void*)_pointer, (int)Bytes));
    }

    private CpuStorage(DType dtype, nint address, long count, SafeHandle mapping)
        : base(dtype, Device.Cpu, count)
    {
        var added = false;
        mapping.DangerousAddRef(ref added);
        _mapping = mapping;
        _pointer = address;
    }

    ~CpuStorage() => FreeMemory();

    /// <summary>
    /// A storage over <paramref name="count"/> elements at <paramref name="address"/> inside a memory-mapped file: nothing
    /// is copied, and <paramref name="mapping"/> (the view's handle) stays referenced until the storage is freed. The
    /// mapping should be copy-on-write, so that a write into the tensor (a merged adapter, say) never reaches the file.
    /// </summary>
    public static CpuStorage Mapped(DType dtype, nint address, long count, SafeHandle mapping) => new(dtype, address, count, mapping);

    /// <summary>Whether the elements live in a mapped file rather than in the pool.</summary>
    public bool IsMapped => _mapping is not null;

    /// <summary>Address of the first element; valid until the storage is freed.</summary>
    public nint Address => _pointer != 0 ? _pointer : throw new ObjectDisposedException(nameof(CpuStorage), "storage was freed");

    /// <summary>Every element, as the dtype's host type <typeparamref name="T"/>.</summary>
    public CpuBuffer<T> Buffer<T>()
        where T : unmanaged
    {
        if (typeof(T) != DType.HostType())
            throw new InvalidOperationException($"storage holds {DType}, not {typeof(T).Name}");
        return new CpuBuffer<T>((T*)Address, checked((int)Count));
    }

    public Span<T> Span<T>()
        where T : unmanaged => Buffer<T>().AsSpan();

    /// <summary>A managed copy of every element (for transfers to other devices and to host arrays).</summary>
    public Array ToArray()
    {
        var result = Array.CreateInstance(DType.HostType(), Count);
        new ReadOnlySpan<byte>((void*)Address, checked((int)Bytes)).CopyTo(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(result), (int)Bytes));
        return result;
    }

    protected override void Free()
    {
        FreeMemory();
        GC.SuppressFinalize(this);
    }

    private void FreeMemory()
    {
        var pointer = Interlocked.Exchange(ref _pointer, 0);
        if (pointer == 0) return;
        if (_mapping is not null) _mapping.DangerousRelease();
        else CpuMemoryPool.Return(pointer, Bytes);
    }
}

/// <summary>The CPU side's view of a tensor's storage.</summary>
internal static class CpuTensorStorage
{
    /// <summary>The tensor's storage as the CPU backend's native memory; throws for a tensor on another device.</summary>
    public static CpuStorage CpuStorage(this Tensor x) =>
        x.Storage as CpuStorage ?? throw new InvalidOperationException($"tensor is on {x.Device}, not the CPU");
}
