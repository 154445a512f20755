using System.Numerics;
using System.Runtime.InteropServices;
using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cpu;

/// <summary>
/// Native memory for CPU tensors, reused by size class. A freed storage's block goes back to the pool, and the next
/// tensor of that class takes it instead of asking the system again: a training step reuses the blocks of the step
/// before it, so the step neither pages in fresh memory nor leaves garbage. Classes are 64-byte aligned and four to
/// an octave (a block is at most 25 % larger than asked). Idle blocks that no tensor took during the last ended
/// <see cref="TensorScope"/> (the last step) are given back to the system when the next one starts using the pool,
/// so a phase with other shapes (evaluation, say) does not keep the previous phase's blocks.
/// </summary>
public static unsafe class CpuMemoryPool
{
    private const int Alignment = 64;

    private static readonly object Gate = new();
    private static readonly Dictionary<long, Stack<(nint Block, long Generation)>> Idle = [];
    private static long _idleBytes;
    private static long _liveBytes;
    private static long _peakLiveBytes;
    private static long _trimmedAt = -1;

    /// <summary>Bytes held by live tensors.</summary>
    public static long LiveBytes => Volatile.Read(ref _liveBytes);

    /// <summary>Bytes of freed blocks kept for reuse.</summary>
    public static long IdleBytes => Volatile.Read(ref _idleBytes);

    /// <summary>The most <see cref="LiveBytes"/> seen since the last <see cref="ResetPeak"/>.</summary>
    public static long PeakLiveBytes => Volatile.Read(ref _peakLiveBytes);

    public static void ResetPeak()
    {
        lock (Gate) _peakLiveBytes = _liveBytes;
    }

    /// <summary>The size of the block that serves a request of <paramref name="bytes"/>.</summary>
    public static long ClassBytes(long bytes)
    {
        if (bytes <= Alignment) return Alignment;
        // Four classes per power of two: (1, 1.25, 1.5, 1.75, 2) × 2^k.
        var octave = 63 - BitOperations.LeadingZeroCount((ulong)(bytes - 1));
        var step = Math.Max(1L << Math.Max(octave - 2, 0), Alignment);
        return (bytes + step - 1) / step * step;
    }

    /// <summary>A block of at least <paramref name="bytes"/>, zeroed when asked; its size is <see cref="ClassBytes"/>.</summary>
    internal static nint Rent(long bytes, bool zero)
    {
        var size = ClassBytes(bytes);
        nint block = 0;
        lock (Gate)
        {
            TrimIfNewStep();
            if (Idle.TryGetValue(size, out var stack) && stack.TryPop(out var entry))
            {
                block = entry.Block;
                _idleBytes -= size;
            }
            _liveBytes += size;
            _peakLiveBytes = Math.Max(_peakLiveBytes, _liveBytes);
        }
        if (block == 0)
        {
            try
            {
                block = (nint)NativeMemory.AlignedAlloc((nuint)size, Alignment);
            }
            catch (OutOfMemoryException)
            {
                lock (Gate) _liveBytes -= size;
                throw new OutOfMemoryException($"a CPU tensor of {bytes:N0} bytes does not fit in memory ({LiveBytes:N0} bytes held by live tensors)");
            }
        }
        if (zero) NativeMemory.Clear((void*)block, (nuint)bytes);
        return block;
    }

    /// <summary>Takes back a block from <see cref="Rent"/> of the same request size.</summary>
    internal static void Return(nint block, long bytes)
    {
        var size = ClassBytes(bytes);
        lock (Gate)
        {
            _liveBytes -= size;
            if (!Idle.TryGetValue(size, out var stack)) Idle[size] = stack = new Stack<(nint, long)>();
            stack.Push((block, TensorScope.EndedScopes));
            _idleBytes += size;
        }
    }

    /// <summary>Gives every idle block back to the system.</summary>
    public static void Trim()
    {
        lock (Gate) TrimOlderThan(long.MaxValue);
    }

    private static void TrimIfNewStep()
    {
        var ended = TensorScope.EndedScopes;
        if (ended == _trimmedAt) return;
        _trimmedAt = ended;
        // Blocks returned during the step that just ended carry generation ended − 1 and are kept for the next one.
        TrimOlderThan(ended - 1);
    }

    private static void TrimOlderThan(long generation)
    {
        foreach (var (size, stack) in Idle)
        {
            if (!stack.Any(entry => entry.Generation < generation)) continue;
            // A stack enumerates from the top; pushing the kept entries back in reverse keeps their order.
            var kept = stack.Where(entry => entry.Generation >= generation).Reverse().ToList();
            foreach (var entry in stack)
                if (entry.Generation < generation) Release(entry.Block, size);
            stack.Clear();
            foreach (var entry in kept) stack.Push(entry);
        }
    }

    private static void Release(nint block, long size)
    {
        NativeMemory.AlignedFree((void*)block);
        _idleBytes -= size;
    }
}
