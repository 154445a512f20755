using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;

namespace StyleAlign.Bench.Harness;

/// <summary>
/// One timed forward+backward of fused attention or of the eager (MatMul/Softmax) reference, as the
/// benchmark verb and BenchmarkDotNet cases run it. Inputs are made once; each run records in its own tensor scope.
/// </summary>
public sealed class AttentionWorkload
{
    public AttentionWorkload(int tokens, int headsQ, int headsKv, int headDim, bool causal, int window = 0, ulong seed = 1, Device? device = null)
    {
        if (tokens < 1 || headsQ < 1 || headsKv < 1 || headDim < 1)
            throw new ArgumentException($"attention workload: sizes must be positive (T={tokens}, H={headsQ}, Hkv={headsKv}, D={headDim})");
        var cu = window > 0 ? AttentionSegments.Windows(tokens, window) : [0, tokens];
        Segments = new AttentionSegments(cu, cu);
        Causal = causal;
        Scale = 1.0 / Math.Sqrt(headDim);
        var rng = new RandomGenerator(seed);
        Tensor Make(int heads) => TensorScope.Untracked(() => Tensor.RandN(new Shape(tokens, heads, headDim), rng).To(device ?? Device.Cpu));
        Q = Make(headsQ);
        K = Make(headsKv);
        V = Make(headsKv);
        GradOutput = Make(headsQ);
    }

    public AttentionSegments Segments { get; }

    public bool Causal { get; }

    public double Scale { get; }

    public Tensor Q { get; }

    public Tensor K { get; }

    public Tensor V { get; }

    public Tensor GradOutput { get; }

    /// <summary>FLOPs of forward + backward in the FlashAttention convention: 4·L²·D·H per segment forward, halved when causal, backward 2.5× forward.</summary>
    public double FlopCount
    {
        get
        {
            double forward = 0;
            for (var s = 0; s < Segments.Count; s++)
            {
                double length = Segments.CuSeqlensQ[s + 1] - Segments.CuSeqlensQ[s];
                forward += 4 * length * length * Q.Shape[2] * Q.Shape[1];
            }
            if (Causal) forward /= 2;
            return forward * 3.5;
        }
    }

    /// <summary>Largest extra memory the fused op holds: the log-sum-exp plus its per-worker tiles.</summary>
    public long FusedPeakBytes
    {
        get
        {
            const int elementBytes = sizeof(float);
            var logSumExp = (long)Q.Shape[1] * Q.Shape[0] * elementBytes;
            return logSumExp + Math.Max(CpuFusedAttention.ForwardScratchBytes(Q.Shape[2], elementBytes), CpuFusedAttention.BackwardScratchBytes(Segments.MaxLengthQ, Q.Shape[2], elementBytes));
        }
    }

    /// <summary>The [Hq, Tq, Tk] tensors the eager reference materializes at its peak.</summary>
    public long CompositePeakBytes => EagerAttention.PeakBytes(Q.Shape[1], Segments.TotalQ, Segments.TotalK, sizeof(float));

    /// <summary>Runs forward and backward; returns the output and the three input gradients (kept out of any tensor scope).</summary>
    public (Tensor Output, Tensor GradQ, Tensor GradK, Tensor GradV) Run(bool fused)
    {
        Tensor[] leaves = [Q.Detach(), K.Detach(), V.Detach()];
        foreach (var leaf in leaves) leaf.RequiresGrad = true;
        using var scope = TensorScope.Begin();
        var output = fused
            ? FusedAttention.Varlen(leaves[0], leaves[1], leaves[2], Segments, Causal, Scale)
            : EagerAttention.Varlen(leaves[0], leaves[1], leaves[2], Segments, Causal, Scale);
        output.Backward(GradOutput);
        var kept = output.Detach().Keep();
        return (kept, leaves[0].Grad!, leaves[1].Grad!, leaves[2].Grad!);
    }
}
