using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>
/// Fused scaled-dot-product attention over packed variable-length segments (q [Tq, Hq, D], k and v
/// [Tk, Hkv, D]). The forward saves only the output and the row log-sum-exp [Hq, Tq]; the backward recomputes
/// the probabilities tile by tile. The device's <see cref="IFusedAttention"/> does the work.
/// </summary>
public sealed class AttentionOp : Op
{
    private readonly AttentionSegments _segments;
    private readonly AttentionOptions _options;
    private Tensor _output = null!;
    private Tensor _logSumExp = null!;

    private AttentionOp(AttentionSegments segments, AttentionOptions options) => (_segments, _options) = (segments, options);

    /// <summary>The attention output (recorded for autograd) and the log-sum-exp (no gradient flows through it).</summary>
    public static (Tensor Output, Tensor LogSumExp) Apply(Tensor q, Tensor k, Tensor v, AttentionSegments segments, AttentionOptions options)
    {
        var implementation = Backends.For<IFusedAttention>(q.Device);
        var (output, logSumExp) = implementation.Forward(q, k, v, segments, options);
        var op = new AttentionOp(segments, options) { _output = output, _logSumExp = logSumExp };
        return (op.Record(output, q, k, v), logSumExp);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        var implementation = Backends.For<IFusedAttention>(gradOutput.Device);
        var (gradQ, gradK, gradV) = implementation.Backward(Inputs[0], Inputs[1], Inputs[2], _output, _logSumExp, gradOutput, _segments, _options);
        return [gradQ, gradK, gradV];
    }
}
