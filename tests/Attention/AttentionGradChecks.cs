using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;
using StyleAlign.Tests.Autograd;
using static StyleAlign.Tests.Attention.AttentionTestData;

namespace StyleAlign.Tests.Attention;

[TestFixture, Category("GradCheck")]
public class AttentionGradChecks
{
    [TestCase(false), TestCase(true), CoversOp(typeof(AttentionOp))]
    public void RaggedGroupedQueryAttention(bool causal)
    {
        var rng = new RandomGenerator(21);
        var segments = new AttentionSegments(Cumulative(3, 1, 5), Cumulative(4, 2, 5));
        var (q, k, v) = Inputs(rng, segments, 4, 2, 8, DType.F64);
        GradCheck.Check(x => FusedAttention.Varlen(x[0], x[1], x[2], segments, causal), [q, k, v], mustRecord: [typeof(AttentionOp)]);
    }

    [Test, CoversOp(typeof(TokenRowsOp))]
    public void PaddedBatchPacksAndUnpacksTokenRows()
    {
        var rng = new RandomGenerator(22);
        var q = GradCheck.Random(rng, 2, 4, 2, 8);
        var k = GradCheck.Random(rng, 2, 4, 1, 8);
        var v = GradCheck.Random(rng, 2, 4, 1, 8);
        var mask = Tensor.FromArray(new[] { false, true, true, true, true, true, false, false }, 2, 4);
        GradCheck.Check(x => FusedAttention.Padded(x[0], x[1], x[2], mask, causal: true), [q, k, v], mustRecord: [typeof(TokenRowsOp), typeof(AttentionOp)]);
    }
}
