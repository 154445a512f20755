using StyleAlign.Engine.Core;

namespace StyleAlign.Tests.LogProbs;

/// <summary>
/// The unfused reference: full logits = H·Wᵀ + b, log_softmax, then the target column picked with a one-hot
/// product (ignored rows have an all-zero one-hot row), all through the engine's ordinary differentiable ops.
/// </summary>
internal static class NaiveLogProbs
{
    public static (Tensor LogProbs, Tensor Entropy) Compute(Tensor hidden, Tensor weight, long[] targets, Tensor? bias)
    {
        var logits = hidden.MatMul(weight.T);
        if (bias is not null) logits = logits + bias;
        var logSoftmax = logits.LogSoftmax(-1);
        var vocab = weight.Shape[0];
        var oneHot = new double[targets.Length * vocab];
        var valid = new double[targets.Length];
        for (var i = 0; i < targets.Length; i++)
        {
            if (targets[i] < 0) continue;
            oneHot[i * vocab + targets[i]] = 1;
            valid[i] = 1;
        }
        var oneHotT = Tensor.FromDoubles(oneHot, new Shape(targets.Length, vocab), hidden.DType);
        var validT = Tensor.FromDoubles(valid, new Shape(targets.Length), hidden.DType);
        var logProbs = (logSoftmax * oneHotT).Sum(1);
        var entropy = -(logSoftmax.Exp() * logSoftmax).Sum(1) * validT;
        return (logProbs, entropy);
    }
}
