using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.LogProbs;

/// <summary>Per-token log-probs (and entropies) of the targets under an LM head, without materializing N×V logits.</summary>
public static class TokenLogProbs
{
    /// <summary>
    /// ℓ[N] = log softmax(hidden·weightᵀ + bias)[targets], in fp32 (fp64 for F64 inputs). Targets &lt; 0 are
    /// ignored: log-prob 0, no gradient. chunkRows overrides the device's default rows per chunk.
    /// </summary>
    public static Tensor Compute(Tensor hidden, Tensor weight, Tensor targets, Tensor? bias = null, int? chunkRows = null) =>
        EagerLogProbs.Serves(hidden.Device)
            ? EagerLogProbs.Compute(hidden, weight, targets, bias, withEntropy: false).LogProbs
            : TokenLogProbsOp.Apply(hidden, weight, targets, bias, withEntropy: false, chunkRows);

    /// <summary>The log-probs and the entropy of each row's distribution (0 at ignored rows), both [N] and differentiable.</summary>
    public static (Tensor LogProbs, Tensor Entropy) ComputeWithEntropy(Tensor hidden, Tensor weight, Tensor targets, Tensor? bias = null, int? chunkRows = null)
    {
        if (EagerLogProbs.Serves(hidden.Device))
        {
            var (logProbs, entropy) = EagerLogProbs.Compute(hidden, weight, targets, bias, withEntropy: true);
            return (logProbs, entropy!);
        }
        var packed = TokenLogProbsOp.Apply(hidden, weight, targets, bias, withEntropy: true, chunkRows);
        return (packed.Narrow(0, 0, 1).Reshape(-1), packed.Narrow(0, 1, 1).Reshape(-1));
    }
}
