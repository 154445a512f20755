using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.LogProbs;
using StyleAlign.Tests.Autograd;

namespace StyleAlign.Tests.LogProbs;

[TestFixture, Category("GradCheck")]
public class LogProbGradChecks
{
    private static Tensor Targets => Tensor.FromArray(new long[] { 3, 0, -100, 6, 2 }, 5);

    [TestCase(false), TestCase(true), CoversOp(typeof(TokenLogProbsOp))]
    public void TokenLogProbsWithBias(bool withEntropy)
    {
        var rng = new RandomGenerator(21);
        var h = GradCheck.Random(rng, 5, 4);
        var w = GradCheck.Random(rng, 7, 4);
        var b = GradCheck.Random(rng, 7);
        // Two rows per chunk, so the gradient accumulates over three chunks (the last one partial).
        GradCheck.Check(v => TokenLogProbsOp.Apply(v[0], v[1], Targets, v[2], withEntropy, chunkRows: 2), [h, w, b], mustRecord: [typeof(TokenLogProbsOp)]);
    }

    [Test, CoversOp(typeof(TokenLogProbsOp))]
    public void EntropyOnlyThroughThePublicViews()
    {
        var rng = new RandomGenerator(22);
        var h = GradCheck.Random(rng, 5, 3);
        var w = GradCheck.Random(rng, 7, 3);
        GradCheck.Check(v => TokenLogProbs.ComputeWithEntropy(v[0].T.T, v[1], Targets, chunkRows: 3).Entropy, [h, w], mustRecord: [typeof(TokenLogProbsOp)]);
    }

    [Test, CoversOp(typeof(CompletionGatherOp))]
    public void CompletionGather()
    {
        var h = GradCheck.Random(new RandomGenerator(23), 2, 4, 3);
        long[,] ids = { { 5, 6, 7, 8 }, { 1, 2, 3, 4 } };
        bool[,] mask = { { false, false, true, true }, { false, true, true, false } };
        GradCheck.Check(v => Engine.FusedOps.LogProbs.CompletionGather.Select(v[0], ids, mask).Hidden, [h], mustRecord: [typeof(CompletionGatherOp)]);
    }

    [Test, CoversOp(typeof(SegmentSumOp))]
    public void SegmentSumAndMean()
    {
        var x = GradCheck.Random(new RandomGenerator(24), 7);
        var segments = Tensor.FromArray(new long[] { 0, 0, 2, 2, 2, 0, 3 }, 7);
        GradCheck.Check(v => Segments.Sum(v[0], segments, 4), [x], mustRecord: [typeof(SegmentSumOp)]);
        GradCheck.Check(v => Segments.Mean(v[0], segments, 4), [x], mustRecord: [typeof(SegmentSumOp)]);
    }
}
