using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.LogProbs;

namespace StyleAlign.Bench.Harness;

/// <summary>Per-token log-probs and the gradients of Σ g·ℓ with respect to the hidden states and the LM head.</summary>
public sealed record LogProbGradients(Tensor LogProbs, Tensor GradHidden, Tensor GradWeight);

/// <summary>
/// One forward + backward of the token log-probs with a given upstream gradient g [N], without leaf
/// accumulation, by the fused op and by the unfused path it replaces. Benchmarks compare the two.
/// Tensors are created in the current tensor scope.
/// </summary>
public static class LogProbPaths
{
    /// <summary>The fused op: chunked forward, then its backward called with g directly.</summary>
    public static LogProbGradients Fused(Tensor hidden, Tensor weight, Tensor targets, Tensor gradOutput, int? chunkRows = null)
    {
        var h = hidden.Detach();
        var w = weight.Detach();
        h.RequiresGrad = true;
        w.RequiresGrad = true;
        var logProbs = TokenLogProbsOp.Apply(h, w, targets, null, withEntropy: false, chunkRows);
        var grads = logProbs.GradFn!.Backward(gradOutput);
        return new LogProbGradients(logProbs, grads[0]!, grads[1]!);
    }

    /// <summary>
    /// The unfused path as an autograd framework runs it: logits [N, V] = H·Wᵀ, log_softmax [N, V], gather;
    /// backward scatters g into a zero [N, V], applies the log_softmax backward ([N, V]) and the two GEMMs.
    /// Each [N, V] buffer is released as soon as it is dead; collectFreed also returns it to the OS at once,
    /// so a memory measurement sees the path at its leanest.
    /// </summary>
    public static LogProbGradients Naive(Tensor hidden, Tensor weight, Tensor targets, Tensor gradOutput, bool collectFreed = false)
    {
        var backend = hidden.Backend;
        var n = hidden.Shape[0];
        var vocab = weight.Shape[0];
        var y = targets.ToLongArray();
        using var noGrad = GradMode.NoGrad();

        var kernels = Backends.For<IFusedLogProbs>(hidden.Device);
        var weightT = weight.T;
        var logits = backend.MatMul(hidden, weightT);
        var logSoftmax = backend.Softmax(logits, 1, log: true);
        Release(collectFreed, logits);
        var flat = logSoftmax.Reshape(n * vocab, 1);
        var picked = Enumerable.Range(0, n).Select(i => y[i] < 0 ? 0 : (int)(i * (long)vocab + y[i])).ToArray();
        var valid = Tensor.FromDoubles(y.Select(t => t < 0 ? 0.0 : 1.0).ToArray(), new Shape(n), gradOutput.DType, hidden.Device);
        var logProbs = kernels.GatherRows(flat, picked).Reshape(n) * valid;

        var maskedGrad = (gradOutput * valid).Reshape(n, 1);
        var scattered = kernels.ScatterRows(maskedGrad, picked, n * vocab);
        var gradLogSoftmax = scattered.Reshape(n, vocab);
        var gradLogits = backend.SoftmaxBackward(logSoftmax, gradLogSoftmax, 1, log: true);
        Release(collectFreed, scattered, gradLogSoftmax, flat, logSoftmax);
        var gradHidden = backend.MatMul(gradLogits, weight);
        var gradLogitsT = gradLogits.T;
        var gradWeight = backend.MatMul(gradLogitsT, hidden);
        Release(collectFreed, gradLogitsT, gradLogits);
        return new LogProbGradients(logProbs, gradHidden, gradWeight);
    }

    /// <summary>Drops these references (views included) so the buffer behind them is freed.</summary>
    private static void Release(bool collect, params Tensor[] tensors)
    {
        foreach (var t in tensors) t.Dispose();
        if (collect) GC.Collect();
    }
}
