using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.LogProbs;

/// <summary>
/// The per-device primitives of the chunked linear + selective log-softmax, and of the completion gather and
/// segment sums around it; the ops find the device's one through <see cref="Backends.For{TCapability}"/>.
/// <see cref="TokenLogProbsOp"/> drives the chunk primitives chunk by chunk so that only one chunk of logits [C, V] exists at a time.
/// Row ranges [start, start + count) index the gathered rows N; a chunk buffer holds its rows from row 0.
/// Compute dtype: F64 when the inputs are F64, otherwise F32 (BF16 inputs compute in fp32 on devices
/// that store BF16). Outputs passed in are contiguous tensors of the compute dtype.
/// </summary>
public interface IFusedLogProbs
{
    Device Device { get; }

    /// <summary>Rows per chunk so that one chunk of logits fits the device's budget (a byte budget on the CPU, free memory on a GPU).</summary>
    int DefaultChunkRows(int vocab, DType computeDType);

    /// <summary>A scratch buffer [rows, V] for one chunk of logits, reused across chunks.</summary>
    Tensor AllocateChunk(int rows, int vocab, DType computeDType);

    /// <summary>chunk[0..count) = hidden[start..start+count) · weightᵀ (+ bias): one GEMM through the device's matmul.</summary>
    void ChunkLogits(Tensor hidden, Tensor weight, Tensor? bias, int start, int count, Tensor chunk);

    /// <summary>
    /// One pass over each row of the chunk: running max and sum-exp give lse; logProbs = z[target] − lse;
    /// entropy (when given) = lse − Σ p·z. Rows whose target is negative get log-prob 0 and entropy 0.
    /// Writes elements [start, start+count) of logProbs, logSumExp and entropy.
    /// </summary>
    void ChunkForward(Tensor chunk, Tensor targets, int start, int count, Tensor logProbs, Tensor logSumExp, Tensor? entropy);

    /// <summary>
    /// Overwrites the chunk in place with dL/dz = g·(onehot − p) − gH·p·(log p + H) (the entropy term only when
    /// gradEntropy is given). Rows whose target is negative become zero.
    /// </summary>
    void ChunkBackward(Tensor chunk, Tensor targets, int start, int count, Tensor logSumExp, Tensor gradLogProbs, Tensor? entropy, Tensor? gradEntropy);

    /// <summary>
    /// From the chunk's dL/dz: gradHidden[start..start+count) = G·W; gradWeight += Gᵀ·hidden[start..start+count);
    /// gradBias += Σ_rows G. Null targets are skipped.
    /// </summary>
    void ChunkAccumulate(Tensor chunkGrad, Tensor hidden, Tensor weight, int start, int count, Tensor? gradHidden, Tensor? gradWeight, Tensor? gradBias);

    /// <summary>out[i] = x[rows[i]] for a 2-D x [R, D].</summary>
    Tensor GatherRows(Tensor x, int[] rows);

    /// <summary>A zero [totalRows, D] tensor with src[i] added at row rows[i].</summary>
    Tensor ScatterRows(Tensor src, int[] rows, int totalRows);

    /// <summary>out[s] = Σ_{i: segmentIds[i] = s} values[i], for s in [0, numSegments).</summary>
    Tensor SegmentSum(Tensor values, Tensor segmentIds, int numSegments);

    /// <summary>out[i] = perSegment[segmentIds[i]]: the gradient of <see cref="SegmentSum"/>.</summary>
    Tensor BroadcastSegments(Tensor perSegment, Tensor segmentIds);
}
