namespace StyleAlign.Engine.IO;

/// <summary>Refuses a model whose parameters cannot fit in this process before any of them is allocated.</summary>
public static class MemoryBudget
{
    /// <summary>
    /// Memory this process may still allocate: the runtime's limit (physical memory, a container limit or
    /// DOTNET_GCHeapHardLimit) less what the managed heap and the CPU tensors already hold.
    /// </summary>
    public static long AvailableBytes
    {
        get
        {
            var info = GC.GetGCMemoryInfo();
            var held = GC.GetTotalMemory(forceFullCollection: false) + Cpu.CpuMemoryPool.LiveBytes;
            return Math.Max(0, info.TotalAvailableMemoryBytes - held);
        }
    }

    /// <summary>Throws <see cref="ModelTooLargeException"/> naming <paramref name="what"/> when <paramref name="bytes"/> exceed what is available.</summary>
    /// <param name="detail">how the figure arises, e.g. "3 754 622 976 parameters × 4 bytes (f32)"</param>
    public static void EnsureFits(long bytes, string what, string detail)
    {
        long available = AvailableBytes;
        if (bytes > available)
            throw new ModelTooLargeException(
                $"{what}: needs {InputFiles.Size(bytes)} ({detail}) but only {InputFiles.Size(available)} of memory is available");
    }
}
