namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>
/// Facts the CUDA side needs to build and launch kernels/attention.cu and kernels/attention_bwd.cu: one
/// module per padded head dim (compiled with -DATTN_HEAD_DIM=N), the tile sizes behind the grids, and the
/// dynamic shared memory of the dK/dV kernel.
/// </summary>
public static class AttentionKernels
{
    public const string ForwardSource = "attention.cu";

    public const string BackwardSource = "attention_bwd.cu";

    /// <summary>Query rows per CTA of attention_fwd_bf16 and attention_bwd_dq_bf16: grid (ceil(max Lq / 64), Hq, S).</summary>
    public const int QueryRowsPerBlock = 64;

    /// <summary>Keys per CTA of attention_bwd_dkdv_bf16: grid (ceil(max Lk / 64), Hkv, S).</summary>
    public const int KeyRowsPerBlock = 64;

    /// <summary>Query rows per tile inside the dK/dV kernel.</summary>
    public const int DkdvQueryTile = 32;

    public const int ThreadsPerBlock = 128;

    /// <summary>The compiled head dim for a real one: the next multiple of 16; D must be a multiple of 8 in [8, 128].</summary>
    public static int PaddedHeadDim(int headDim)
    {
        if (headDim <= 0 || headDim > 128 || headDim % 8 != 0)
            throw new ArgumentException($"the CUDA attention kernels need a head dim that is a multiple of 8 in [8, 128], got {headDim}");
        return (headDim + 15) / 16 * 16;
    }

    /// <summary>Compiler options selecting the module for a head dim.</summary>
    public static string[] CompileOptions(int headDim) => [$"-DATTN_HEAD_DIM={PaddedHeadDim(headDim)}"];

    /// <summary>Dynamic shared memory of attention_bwd_dkdv_bf16 (K, V tiles of 64 rows and Q, dO tiles of 32, padded rows); above 48 KB the launcher must raise the function's limit.</summary>
    public static int DkdvSharedBytes(int headDim) => (2 * KeyRowsPerBlock + 2 * DkdvQueryTile) * (PaddedHeadDim(headDim) + 8) * 2;
}
