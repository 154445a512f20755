using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cpu;

/// <summary>CPU storage: a managed array of the dtype's host type (bf16 as raw ushort bits, bool as byte).</summary>
public sealed class CpuStorage : Storage
{
    private Array? _data;

    public CpuStorage(DType dtype, long count)
        : base(dtype, Device.Cpu, count)
    {
        if (count > Array.MaxLength) throw new OutOfMemoryException($"a CPU tensor of {count} elements exceeds the largest array");
        _data = Array.CreateInstance(dtype.HostType(), (int)count);
    }

    public CpuStorage(DType dtype, Array data)
        : base(dtype, Device.Cpu, data.LongLength)
    {
        if (data.GetType().GetElementType() != dtype.HostType())
            throw new ArgumentException($"a {data.GetType().Name} cannot hold {dtype} elements (expected {dtype.HostType().Name}[])");
        _data = data;
    }

    public Array Data => _data ?? throw new ObjectDisposedException(nameof(CpuStorage), "storage was freed");

    public T[] As<T>() => Data as T[] ?? throw new InvalidOperationException($"storage holds {DType}, not {typeof(T).Name}");

    public Span<T> Span<T>() => As<T>();

    protected override void Free() => _data = null;
}

/// <summary>The CPU side's view of a tensor's storage.</summary>
internal static class CpuTensorStorage
{
    /// <summary>The tensor's storage as the CPU backend's managed array; throws for a tensor on another device.</summary>
    public static CpuStorage CpuStorage(this Tensor x) =>
        x.Storage as CpuStorage ?? throw new InvalidOperationException($"tensor is on {x.Device}, not the CPU");
}
