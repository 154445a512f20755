using StyleAlign.Engine.Cuda;

namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>
/// Launches kernels/attention_bwd.cu, the recomputing backward of <see cref="AttentionKernels"/>' forward (bf16 in
/// and out, fp32 accumulation, no atomics): the row dots D = rowsum(dO∘O), then dQ per query block and dK, dV per
/// key block. Same module per padded head dim as the forward.
/// </summary>
public sealed class AttentionBwdKernels(IKernelLauncher launcher) : KernelFamily(launcher, "attention_bwd")
{
    /// <summary>Keys per CTA of attention_bwd_dkdv_bf16: grid (ceil(max Lk / 64), Hkv, S).</summary>
    public const int KeyRowsPerBlock = 64;

    /// <summary>Query rows per tile inside the dK/dV kernel.</summary>
    public const int DkdvQueryTile = 32;

    /// <summary>Dynamic shared memory of attention_bwd_dkdv_bf16 (K, V tiles of 64 rows and Q, dO tiles of 32, padded rows); above 48 KB the launch raises the function's limit.</summary>
    public static int DkdvSharedBytes(int headDim) => (2 * KeyRowsPerBlock + 2 * DkdvQueryTile) * (AttentionKernels.PaddedHeadDim(headDim) + 8) * 2;

    /// <summary>delta [Hq, Tq] = Σ_d dO·O, one warp per (token, head).</summary>
    public void Preprocess(int totalQ, int headsQ, int headDim, ulong output, ulong gradOutput, ulong delta)
    {
        const int warpsPerBlock = AttentionKernels.ThreadsPerBlock / 32;
        Launch("attention_bwd_preprocess_bf16", new LaunchConfig(new Dim3(AttentionKernels.Blocks(totalQ * headsQ, warpsPerBlock)), new Dim3(AttentionKernels.ThreadsPerBlock)),
            new KernelArgs().Pointer(output).Pointer(gradOutput).Pointer(delta).Int(totalQ).Int(headsQ).Int(headDim),
            AttentionKernels.CompileOptions(headDim));
    }

    /// <summary>dq [Tq, Hq, D] from the saved lse and delta, per block of 64 query rows.</summary>
    public void GradQuery(int segments, int maxLengthQ, int totalQ, int headsQ, int headsKv, int headDim, float scale, bool causal,
        ulong q, ulong k, ulong v, ulong gradOutput, ulong logSumExp, ulong delta, ulong gradQ, ulong cuSeqlensQ, ulong cuSeqlensK) =>
        Launch("attention_bwd_dq_bf16",
            new LaunchConfig(new Dim3(AttentionKernels.Blocks(maxLengthQ, AttentionKernels.QueryRowsPerBlock), (uint)headsQ, (uint)segments), new Dim3(AttentionKernels.ThreadsPerBlock)),
            new KernelArgs().Pointer(q).Pointer(k).Pointer(v).Pointer(gradOutput).Pointer(logSumExp).Pointer(delta).Pointer(gradQ)
                .Pointer(cuSeqlensQ).Pointer(cuSeqlensK).Int(totalQ).Int(headsQ).Int(headsKv).Int(headDim).Float(scale).Int(causal ? 1 : 0),
            AttentionKernels.CompileOptions(headDim));

    /// <summary>dk and dv [Tk, Hkv, D], per block of 64 keys, summing the kv head's whole query-head group in one CTA.</summary>
    public void GradKeyValue(int segments, int maxLengthK, int totalQ, int headsQ, int headsKv, int headDim, float scale, bool causal,
        ulong q, ulong k, ulong v, ulong gradOutput, ulong logSumExp, ulong delta, ulong gradK, ulong gradV, ulong cuSeqlensQ, ulong cuSeqlensK) =>
        Launch("attention_bwd_dkdv_bf16",
            new LaunchConfig(new Dim3(AttentionKernels.Blocks(maxLengthK, KeyRowsPerBlock), (uint)headsKv, (uint)segments), new Dim3(AttentionKernels.ThreadsPerBlock), (uint)DkdvSharedBytes(headDim)),
            new KernelArgs().Pointer(q).Pointer(k).Pointer(v).Pointer(gradOutput).Pointer(logSumExp).Pointer(delta).Pointer(gradK).Pointer(gradV)
                .Pointer(cuSeqlensQ).Pointer(cuSeqlensK).Int(totalQ).Int(headsQ).Int(headsKv).Int(headDim).Float(scale).Int(causal ? 1 : 0),
            AttentionKernels.CompileOptions(headDim));
}
