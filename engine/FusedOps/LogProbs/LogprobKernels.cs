using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;

namespace StyleAlign.Engine.FusedOps.LogProbs;

/// <summary>
/// Launches kernels/logprob.cu: the row passes of the chunked linear + selective log-softmax over one chunk of
/// logits [rows, vocab] (leading dimension ld, fp32 or bf16), one block per row. The caller offsets targets (I64),
/// log-probs, lse, entropy and their gradients (fp32) to the chunk's first row; a zero entropy address skips it.
/// </summary>
public sealed class LogprobKernels(IKernelLauncher launcher) : KernelFamily(launcher, "logprob")
{
    /// <summary>lse, log p(target) and, when asked, the entropy of each row; rows whose target is negative give 0.</summary>
    public void ChunkForward(DType dtype, int rows, long ld, int vocab, ulong logits, ulong targets, ulong logProbs, ulong logSumExp, ulong entropy) =>
        Launch($"logprob_chunk_fwd_{FloatSuffix(dtype, "token log-probs")}", LaunchConfig.ForRows(rows, RowBlock),
            new KernelArgs().Pointer(logits).Long(ld).Int(vocab).Pointer(targets).Pointer(logProbs).Pointer(logSumExp).Pointer(entropy));

    /// <summary>Overwrites the chunk with dL/dz (the entropy term only when its gradient address is non-zero).</summary>
    public void ChunkBackward(DType dtype, int rows, long ld, int vocab, ulong logits, ulong targets, ulong logSumExp, ulong gradLogProbs, ulong entropy, ulong gradEntropy) =>
        Launch($"logprob_chunk_bwd_{FloatSuffix(dtype, "token log-probs backward")}", LaunchConfig.ForRows(rows, RowBlock),
            new KernelArgs().Pointer(logits).Long(ld).Int(vocab).Pointer(targets).Pointer(logSumExp).Pointer(gradLogProbs).Pointer(entropy).Pointer(gradEntropy));
}
