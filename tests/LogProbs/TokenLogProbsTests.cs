using NUnit.Framework;
using StyleAlign.Bench.Harness;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.LogProbs;

namespace StyleAlign.Tests.LogProbs;

[TestFixture, Category("Unit")]
public class TokenLogProbsTests
{
    // (V, N, d, rows per chunk): small vocabularies, a mid one, and Qwen's full 151,936 with a handful of rows.
    [TestCase(37, 7, 8, 3)]
    [TestCase(1000, 9, 16, 4)]
    [TestCase(151936, 5, 8, 2)]
    public void MatchesFullLogitsInValuesAndGradients(int vocab, int n, int d, int chunkRows)
    {
        var data = LogProbTestData.Create(n, d, vocab, DType.F32, (ulong)vocab);
        var weights = Tensor.RandN(new Shape(n), new RandomGenerator(99));

        data.RequireGrads();
        double[] naive;
        using (TensorScope.Begin())
        {
            var (lp, _) = NaiveLogProbs.Compute(data.Hidden, data.Weight, data.Targets, data.Bias);
            naive = lp.ToDoubleArray();
            (lp * weights).Sum().Backward();
        }
        var (naiveDh, naiveDw, naiveDb) = data.Grads();

        data.RequireGrads();
        double[] fused;
        using (TensorScope.Begin())
        {
            var lp = TokenLogProbs.Compute(data.Hidden, data.Weight, data.TargetTensor, data.Bias, chunkRows);
            Assert.That(lp.DType, Is.EqualTo(DType.F32));
            fused = lp.ToDoubleArray();
            (lp * weights).Sum().Backward();
        }
        var (dh, dw, db) = data.Grads();

        AssertClose(fused, naive, 2e-4, "log-probs");
        for (var i = 0; i < n; i++)
            if (data.Targets[i] < 0) Assert.That(fused[i], Is.EqualTo(0.0), $"ignored row {i} must have log-prob 0");
        AssertClose(dh, naiveDh, 2e-4, "dH");
        AssertClose(dw, naiveDw, 2e-5, "dW");
        AssertClose(db, naiveDb, 2e-5, "db");
    }

    [Test]
    public void EntropyAndItsGradientMatchFullLogitsInFloat64()
    {
        var data = LogProbTestData.Create(11, 6, 1000, DType.F64, 5);
        var rng = new RandomGenerator(6);
        var wLp = Tensor.RandN(new Shape(11), rng, dtype: DType.F64);
        var wEnt = Tensor.RandN(new Shape(11), rng, dtype: DType.F64);

        data.RequireGrads();
        double[] naiveLp, naiveEnt;
        using (TensorScope.Begin())
        {
            var (lp, ent) = NaiveLogProbs.Compute(data.Hidden, data.Weight, data.Targets, data.Bias);
            (naiveLp, naiveEnt) = (lp.ToDoubleArray(), ent.ToDoubleArray());
            ((lp * wLp).Sum() + (ent * wEnt).Sum()).Backward();
        }
        var naiveGrads = data.Grads();

        data.RequireGrads();
        double[] fusedLp, fusedEnt;
        using (TensorScope.Begin())
        {
            var (lp, ent) = TokenLogProbs.ComputeWithEntropy(data.Hidden, data.Weight, data.TargetTensor, data.Bias, chunkRows: 4);
            Assert.That(lp.DType, Is.EqualTo(DType.F64));
            (fusedLp, fusedEnt) = (lp.ToDoubleArray(), ent.ToDoubleArray());
            ((lp * wLp).Sum() + (ent * wEnt).Sum()).Backward();
        }
        var grads = data.Grads();

        AssertClose(fusedLp, naiveLp, 1e-10, "log-probs");
        AssertClose(fusedEnt, naiveEnt, 1e-10, "entropy");
        AssertClose(grads.DH, naiveGrads.DH, 1e-10, "dH");
        AssertClose(grads.DW, naiveGrads.DW, 1e-10, "dW");
        AssertClose(grads.DB, naiveGrads.DB, 1e-10, "db");
    }

    [Test]
    public void ChunkSizeDoesNotChangeTheResult()
    {
        var data = LogProbTestData.Create(10, 8, 37, DType.F64, 7);
        double[] Run(int? rows)
        {
            data.RequireGrads();
            using var scope = TensorScope.Begin();
            var lp = TokenLogProbs.Compute(data.Hidden, data.Weight, data.TargetTensor, null, rows);
            lp.Sum().Backward();
            return [.. lp.ToDoubleArray(), .. data.Hidden.Grad!.ToDoubleArray(), .. data.Weight.Grad!.ToDoubleArray()];
        }
        var whole = Run(null);
        foreach (var rows in new int?[] { 1, 3, 10, 64 })
            AssertClose(Run(rows), whole, 1e-12, $"chunk of {rows} rows");
    }

    [Test]
    public void IgnoredRowsGetNoGradient()
    {
        var data = LogProbTestData.Create(6, 4, 37, DType.F64, 8);
        data.RequireGrads();
        using var scope = TensorScope.Begin();
        var (lp, ent) = TokenLogProbs.ComputeWithEntropy(data.Hidden, data.Weight, data.TargetTensor, data.Bias, chunkRows: 4);
        (lp.Sum() + ent.Sum()).Backward();
        var dh = data.Hidden.Grad!.ToDoubleArray();
        for (var i = 0; i < 6; i++)
        {
            var rowGrad = dh.AsSpan(i * 4, 4).ToArray();
            if (data.Targets[i] < 0)
            {
                Assert.That(lp.ToDoubleArray()[i], Is.EqualTo(0.0));
                Assert.That(ent.ToDoubleArray()[i], Is.EqualTo(0.0));
                Assert.That(rowGrad, Is.All.EqualTo(0.0), $"ignored row {i} received a gradient");
            }
            else
            {
                Assert.That(rowGrad, Has.Some.Not.EqualTo(0.0), $"row {i} received no gradient");
            }
        }
    }

    [Test]
    public void BenchmarkPathsAgree()
    {
        var data = LogProbTestData.Create(6, 8, 1000, DType.F64, 11);
        var grad = Tensor.RandN(new Shape(6), new RandomGenerator(12), dtype: DType.F64);
        using var scope = TensorScope.Begin();
        var fused = LogProbPaths.Fused(data.Hidden, data.Weight, data.TargetTensor, grad, chunkRows: 4);
        var naive = LogProbPaths.Naive(data.Hidden, data.Weight, data.TargetTensor, grad, collectFreed: true);
        AssertClose(fused.LogProbs.ToDoubleArray(), naive.LogProbs.ToDoubleArray(), 1e-12, "log-probs");
        AssertClose(fused.GradHidden.ToDoubleArray(), naive.GradHidden.ToDoubleArray(), 1e-12, "dH");
        AssertClose(fused.GradWeight.ToDoubleArray(), naive.GradWeight.ToDoubleArray(), 1e-12, "dW");
        Assert.That(data.Hidden.Grad, Is.Null, "the benchmark paths must not accumulate into leaves");
    }

    [Test]
    public void DefaultChunkFollowsTheByteBudget()
    {
        var kernels = CpuFusedLogProbs.Instance;
        Assert.That(kernels.DefaultChunkRows(151936, DType.F32), Is.EqualTo((int)((64L << 20) / (151936 * 4))));
        Assert.That(kernels.DefaultChunkRows(151936, DType.F64), Is.EqualTo((int)((64L << 20) / (151936 * 8))));
        Assert.That(kernels.DefaultChunkRows(1 << 30, DType.F32), Is.EqualTo(1));
    }

    [Test]
    public void NoHistoryUnderNoGrad()
    {
        var data = LogProbTestData.Create(4, 4, 37, DType.F32, 9);
        data.RequireGrads();
        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        var lp = TokenLogProbs.Compute(data.Hidden, data.Weight, data.TargetTensor);
        Assert.That(lp.RequiresGrad, Is.False);
        Assert.That(lp.GradFn, Is.Null);
    }

    [Test]
    public void BadInputsNameWhatWasExpected()
    {
        var data = LogProbTestData.Create(4, 4, 37, DType.F32, 10);
        var outOfVocab = Tensor.FromArray(new long[] { 0, 37, 1, 2 }, 4);
        Assert.That(() => TokenLogProbs.Compute(data.Hidden, data.Weight, outOfVocab), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("target 37 at row 1"));
        var shortTargets = Tensor.FromArray(new long[] { 0, 1 }, 2);
        Assert.That(() => TokenLogProbs.Compute(data.Hidden, data.Weight, shortTargets), Throws.ArgumentException.With.Message.Contains("targets must be [N] with N = 4"));
        var wrongWidth = Tensor.Zeros(new Shape(37, 5));
        Assert.That(() => TokenLogProbs.Compute(data.Hidden, wrongWidth, data.TargetTensor), Throws.ArgumentException.With.Message.Contains("weight must be [V, d] with d = 4"));
        Assert.That(() => TokenLogProbs.Compute(data.Hidden, data.Weight, data.TargetTensor, chunkRows: 0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    internal static void AssertClose(double[] actual, double[] expected, double tol, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        for (var i = 0; i < actual.Length; i++)
        {
            var bound = tol * Math.Max(1, Math.Abs(expected[i]));
            if (!(Math.Abs(actual[i] - expected[i]) <= bound))
                Assert.Fail($"{what}[{i}]: {actual[i]:G9} vs {expected[i]:G9} (|diff| {Math.Abs(actual[i] - expected[i]):G3} > {bound:G3})");
        }
    }
}
