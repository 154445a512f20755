using System.Runtime.CompilerServices;

namespace StyleAlign.Engine.Cpu;

/// <summary>
/// A run of a CPU storage's elements as a pointer and a length. Unlike a span it can be captured by a parallel
/// loop's body; like a span it does not keep the storage alive, so it must not outlive the tensor it came from.
/// A buffer from <see cref="Strided.Dense{T}"/> may instead own a dense copy, which disposing it frees.
/// </summary>
public readonly unsafe struct CpuBuffer<T> : IDisposable
    where T : unmanaged
{
    private readonly T* _pointer;
    private readonly CpuStorage? _copy;

    internal CpuBuffer(T* pointer, int length, CpuStorage? copy = null)
    {
        _pointer = pointer;
        Length = length;
        _copy = copy;
    }

    public int Length { get; }

    /// <summary>The first element's address (valid while the storage lives).</summary>
    public T* Pointer => _pointer;

    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((uint)index >= (uint)Length) ThrowOutOfRange(index);
            return ref _pointer[index];
        }
    }

    public ref T this[long index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((ulong)index >= (ulong)Length) ThrowOutOfRange(index);
            return ref _pointer[index];
        }
    }

    public Span<T> AsSpan() => new(_pointer, Length);

    public Span<T> AsSpan(int start) => AsSpan()[start..];

    public Span<T> AsSpan(long start) => AsSpan()[checked((int)start)..];

    public Span<T> AsSpan(int start, int length) => AsSpan().Slice(start, length);

    public Span<T> AsSpan(long start, int length) => AsSpan().Slice(checked((int)start), length);

    /// <summary>Elements [start, start + length) as a buffer of their own (owning nothing).</summary>
    public CpuBuffer<T> Slice(long start, int length)
    {
        if (start < 0 || length < 0 || start + length > Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"elements [{start}, {start + length}) are outside a CPU buffer of {Length}");
        return new CpuBuffer<T>(_pointer + start, length);
    }

    /// <summary>This buffer, made the owner of <paramref name="copy"/> (the storage it points into).</summary>
    internal CpuBuffer<T> Owning(CpuStorage copy) => new(_pointer, Length, copy);

    public static implicit operator Span<T>(CpuBuffer<T> buffer) => buffer.AsSpan();

    public static implicit operator ReadOnlySpan<T>(CpuBuffer<T> buffer) => buffer.AsSpan();

    /// <summary>Frees the dense copy this buffer owns, if any (a view of a tensor's own storage owns nothing).</summary>
    public void Dispose() => _copy?.Release();

    private void ThrowOutOfRange(long index) =>
        throw new IndexOutOfRangeException($"element {index} is outside a CPU buffer of {Length} {typeof(T).Name}");
}
