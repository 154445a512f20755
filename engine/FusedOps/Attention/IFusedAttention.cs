using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>
/// The primitives a device provides for fused attention; <see cref="AttentionOp"/> finds the device's one through
/// <see cref="Backends.For{TCapability}"/>. Shapes: q [Tq, Hq, D], k and v [Tk, Hkv, D] with Hq a multiple of Hkv
/// (query head h reads kv head h / (Hq/Hkv)); output [Tq, Hq, D]; log-sum-exp [Hq, Tq] (fp32, or fp64 for fp64
/// inputs; −∞ for a row that sees no key, whose output is zero).
/// </summary>
public interface IFusedAttention
{
    (Tensor Output, Tensor LogSumExp) Forward(Tensor q, Tensor k, Tensor v, AttentionSegments segments, AttentionOptions options);

    /// <summary>Gradients of q, k, v by recomputation from the saved output and log-sum-exp.</summary>
    (Tensor GradQ, Tensor GradK, Tensor GradV) Backward(
        Tensor q, Tensor k, Tensor v, Tensor output, Tensor logSumExp, Tensor gradOutput, AttentionSegments segments, AttentionOptions options);

    /// <summary>One query per sequence against a KV cache: q [B, Hq, D], caches [B, Tmax, Hkv, D], lengths [B] → [B, Hq, D].</summary>
    Tensor Decode(Tensor q, Tensor kCache, Tensor vCache, int[] lengths, double scale);
}
