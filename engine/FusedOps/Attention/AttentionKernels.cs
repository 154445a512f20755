using StyleAlign.Engine.Cuda;

namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>
/// Launches kernels/attention.cu (bf16 in and out, fp32 statistics): the packed varlen forward and the decode step
/// against a KV cache. The family compiles into one module per padded head dim (-DATTN_HEAD_DIM=N); each launch
/// names the module of its head dim. Layouts, masking and tiling are described at the top of the source.
/// </summary>
public sealed class AttentionKernels(IKernelLauncher launcher) : KernelFamily(launcher, "attention")
{
    /// <summary>Query rows per CTA of attention_fwd_bf16 (and of attention_bwd_dq_bf16): grid (ceil(max Lq / 64), Hq, S).</summary>
    public const int QueryRowsPerBlock = 64;

    public const int ThreadsPerBlock = 128;

    /// <summary>The compiled head dim for a real one: the next multiple of 16; D must be a multiple of 8 in [8, 128].</summary>
    public static int PaddedHeadDim(int headDim)
    {
        if (headDim <= 0 || headDim > 128 || headDim % 8 != 0)
            throw new ArgumentException($"the CUDA attention kernels need a head dim that is a multiple of 8 in [8, 128], got {headDim}");
        return (headDim + 15) / 16 * 16;
    }

    /// <summary>Compiler options selecting the module for a head dim (attention.cu and attention_bwd.cu alike).</summary>
    public static string[] CompileOptions(int headDim) => [$"-DATTN_HEAD_DIM={PaddedHeadDim(headDim)}"];

    /// <summary>out [Tq, Hq, D] and lse [Hq, Tq] from q [Tq, Hq, D], k and v [Tk, Hkv, D] and int32 cu_seqlens [S+1].</summary>
    public void Forward(int segments, int maxLengthQ, int totalQ, int headsQ, int headsKv, int headDim, float scale, bool causal,
        ulong q, ulong k, ulong v, ulong output, ulong logSumExp, ulong cuSeqlensQ, ulong cuSeqlensK) =>
        Launch("attention_fwd_bf16", new LaunchConfig(new Dim3(Blocks(maxLengthQ, QueryRowsPerBlock), (uint)headsQ, (uint)segments), new Dim3(ThreadsPerBlock)),
            new KernelArgs().Pointer(q).Pointer(k).Pointer(v).Pointer(output).Pointer(logSumExp).Pointer(cuSeqlensQ).Pointer(cuSeqlensK)
                .Int(totalQ).Int(headsQ).Int(headsKv).Int(headDim).Float(scale).Int(causal ? 1 : 0),
            CompileOptions(headDim));

    /// <summary>out [B, Hq, D] for one query per sequence against caches [B, Tmax, Hkv, D] holding int32 lengths [B] tokens.</summary>
    public void Decode(int batch, int maxTokens, int headsQ, int headsKv, int headDim, float scale,
        ulong q, ulong kCache, ulong vCache, ulong lengths, ulong output) =>
        Launch("attention_decode_bf16", new LaunchConfig(new Dim3((uint)headsQ, (uint)batch), new Dim3(ThreadsPerBlock)),
            new KernelArgs().Pointer(q).Pointer(kCache).Pointer(vCache).Pointer(lengths).Pointer(output)
                .Int(maxTokens).Int(headsQ).Int(headsKv).Int(headDim).Float(scale),
            CompileOptions(headDim));

    internal static uint Blocks(int length, int perBlock) => (uint)Math.Max(1, (length + perBlock - 1) / perBlock);
}
