using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cuda.Backend;

/// <summary>
/// Launches kernels/index.cu: row gathers and last-dim gathers, and their deterministic scatter-add adjoints. Each
/// kernel sets *badIndex instead of faulting on an index outside [0, n). The f32 and bf16 gathers move any 4- or
/// 2-byte element bit for bit; the scatters exist in f32 only (a bf16 scatter is widened by the caller, so repeated
/// indices are summed in fp32 and rounded once).
/// </summary>
public sealed class IndexKernels(IKernelLauncher launcher) : KernelFamily(launcher, "index")
{
    /// <summary>Most destination-row buckets of a row scatter: the grid's y extent, each bucket walking every source row.</summary>
    public const int MaxScatterBuckets = 64;

    /// <summary>out[i, :] = src[index[i], :] for src [n, columns], index I64 [m].</summary>
    public void SelectRows(DType dtype, long m, long columns, long n, ulong src, ulong index, ulong output, ulong badIndex) =>
        Launch($"index_select_rows_{FloatSuffix(dtype, "index_select")}", LaunchConfig.ForElements(m * columns),
            new KernelArgs().Long(m).Long(columns).Long(n).Pointer(src).Pointer(index).Pointer(output).Pointer(badIndex));

    /// <summary>dst[index[i], :] += src[i, :] for dst [n, columns], in a fixed order per destination row.</summary>
    public void ScatterAddRows(long m, long columns, long n, ulong src, ulong index, ulong dst, ulong badIndex)
    {
        var buckets = (uint)Math.Clamp(n, 1, MaxScatterBuckets);
        var config = new LaunchConfig(new Dim3((uint)((columns + RowBlock - 1) / RowBlock), buckets), new Dim3(RowBlock));
        Launch("index_scatter_add_rows_f32", config,
            new KernelArgs().Long(m).Long(columns).Long(n).Pointer(src).Pointer(index).Pointer(dst).Pointer(badIndex));
    }

    /// <summary>out[r, j] = src[r, index[r, j]] for src [rows, n], index I64 [rows, k].</summary>
    public void GatherLastDim(DType dtype, long rows, long n, long k, ulong src, ulong index, ulong output, ulong badIndex) =>
        Launch($"index_gather_lastdim_{FloatSuffix(dtype, "gather")}", LaunchConfig.ForElements(rows * k),
            new KernelArgs().Long(rows).Long(n).Long(k).Pointer(src).Pointer(index).Pointer(output).Pointer(badIndex));

    /// <summary>dst[r, index[r, j]] += src[r, j]: one thread per row walks j in order.</summary>
    public void ScatterAddLastDim(long rows, long n, long k, ulong src, ulong index, ulong dst, ulong badIndex) =>
        Launch("index_scatter_add_lastdim_f32", new LaunchConfig(new Dim3((uint)((rows + RowBlock - 1) / RowBlock)), new Dim3(RowBlock)),
            new KernelArgs().Long(rows).Long(n).Long(k).Pointer(src).Pointer(index).Pointer(dst).Pointer(badIndex));
}
