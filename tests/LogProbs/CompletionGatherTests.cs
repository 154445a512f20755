using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.LogProbs;

namespace StyleAlign.Tests.LogProbs;

[TestFixture, Category("Unit")]
public class CompletionGatherTests
{
    [Test]
    public void SelectsThePositionsThatPredictCompletionTokens()
    {
        // Row 0: prompt [10 11], completion [12 13 EOS=2], pad. Row 1: prompt [20], completion [21 2], pads.
        long[,] ids = { { 10, 11, 12, 13, 2, 0 }, { 20, 21, 2, 0, 0, 0 } };
        var mask = Mask("001110", "011000");
        var hiddenValues = Enumerable.Range(0, 2 * 6 * 2).Select(i => (double)i).ToArray();
        using var scope = TensorScope.Begin();
        var hidden = Tensor.FromDoubles(hiddenValues, new Shape(2, 6, 2), DType.F64);
        var sel = CompletionGather.Select(hidden, ids, mask);
        // Position t is selected iff mask[t+1] = 1: the last prompt position predicts the first completion token.
        Assert.That(sel.Positions, Is.EqualTo(new[] { 1, 2, 3, 6, 7 }));
        Assert.That(sel.Targets.ToLongArray(), Is.EqualTo(new long[] { 12, 13, 2, 21, 2 }));
        Assert.That(sel.SegmentIds.ToLongArray(), Is.EqualTo(new long[] { 0, 0, 0, 1, 1 }));
        Assert.That(sel.NumSegments, Is.EqualTo(2));
        Assert.That(sel.Hidden.Shape, Is.EqualTo(new Shape(5, 2)));
        Assert.That(sel.Hidden.ToDoubleArray(), Is.EqualTo(new double[] { 2, 3, 4, 5, 6, 7, 12, 13, 14, 15 }));
    }

    [Test]
    public void GradientsScatterBackWithZerosElsewhere()
    {
        long[,] ids = { { 1, 2, 3 }, { 4, 5, 6 } };
        var mask = Mask("011", "001");
        using var scope = TensorScope.Begin();
        var hidden = Tensor.Zeros(new Shape(2, 3, 2), DType.F64);
        hidden.RequiresGrad = true;
        var sel = CompletionGather.Select(hidden, ids, mask);
        var upstream = Tensor.FromDoubles([1, 2, 3, 4, 5, 6], new Shape(3, 2), DType.F64);
        sel.Hidden.Backward(upstream);
        Assert.That(hidden.Grad!.Shape, Is.EqualTo(new Shape(2, 3, 2)));
        Assert.That(hidden.Grad!.ToDoubleArray(), Is.EqualTo(new double[] { 1, 2, 3, 4, 0, 0, 0, 0, 5, 6, 0, 0 }));
    }

    [Test]
    public void EndToEndSequenceSumsMatchTheFullLogitsPath()
    {
        var rng = new RandomGenerator(31);
        const int b = 2, t = 5, d = 4, vocab = 37;
        var ids = new long[b, t];
        for (var row = 0; row < b; row++)
            for (var pos = 0; pos < t; pos++) ids[row, pos] = rng.NextInt(vocab);
        var mask = Mask("00111", "01100");
        using var scope = TensorScope.Begin();
        var hidden = Tensor.RandN(new Shape(b, t, d), rng, dtype: DType.F64);
        var weight = Tensor.RandN(new Shape(vocab, d), rng, dtype: DType.F64);
        var sel = CompletionGather.Select(hidden, ids, mask);
        var sums = Segments.Sum(TokenLogProbs.Compute(sel.Hidden, weight, sel.Targets), sel.SegmentIds, sel.NumSegments).ToDoubleArray();

        // Reference: full log_softmax over every position, then ℓ_t = logp[t, ids[t+1]] summed where mask[t+1] = 1.
        var logp = hidden.Reshape(b * t, d).MatMul(weight.T).LogSoftmax(-1).ToDoubleArray();
        var expected = new double[b];
        for (var row = 0; row < b; row++)
            for (var pos = 0; pos + 1 < t; pos++)
                if (mask[row, pos + 1])
                    expected[row] += logp[(row * t + pos) * vocab + ids[row, pos + 1]];
        Assert.That(sums, Is.EqualTo(expected).Within(1e-10));
    }

    [Test]
    public void MismatchedShapesAreRejected()
    {
        var hidden = Tensor.Zeros(new Shape(2, 3, 4));
        long[,] ids = { { 1, 2, 3 } };
        Assert.That(() => CompletionGather.Select(hidden, ids, new bool[2, 3]), Throws.ArgumentException.With.Message.Contains("input ids must be [2, 3], got [1, 3]"));
        Assert.That(() => CompletionGather.Select(hidden, new long[2, 3], new bool[2, 4]), Throws.ArgumentException.With.Message.Contains("target mask must be [2, 3], got [2, 4]"));
    }

    /// <summary>A [rows, T] target mask from one string of 0s and 1s per row.</summary>
    private static bool[,] Mask(params string[] rows)
    {
        var mask = new bool[rows.Length, rows[0].Length];
        for (var r = 0; r < rows.Length; r++)
            for (var p = 0; p < rows[r].Length; p++) mask[r, p] = rows[r][p] == '1';
        return mask;
    }
}
