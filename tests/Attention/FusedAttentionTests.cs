using NUnit.Framework;
using StyleAlign.Bench.Harness;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;
using static StyleAlign.Tests.Attention.AttentionTestData;

namespace StyleAlign.Tests.Attention;

[TestFixture, Category("Unit")]
public class FusedAttentionTests
{
    [TestCase(false, 4, 4, 64)]
    [TestCase(true, 4, 4, 64)]
    [TestCase(true, 4, 2, 16)]
    [TestCase(false, 6, 2, 32)]
    [TestCase(false, 2, 1, 80)]
    [TestCase(true, 4, 1, 80)]
    [TestCase(true, 2, 2, 128)]
    [TestCase(false, 2, 1, 128)]
    public void RaggedSelfAttentionMatchesEager(bool causal, int headsQ, int headsKv, int headDim)
    {
        var rng = new RandomGenerator((ulong)(headDim * 31 + headsQ * 7 + headsKv + (causal ? 1000 : 0)));
        var cu = Cumulative(RaggedLengths(rng, 4, 90));
        CompareWithEager(new AttentionSegments(cu, cu), headsQ, headsKv, headDim, causal, rng);
    }

    [Test]
    public void VisionWindowLayoutMatchesEager()
    {
        int[] cu = [0, 16, 32, 40, 48];
        CompareWithEager(new AttentionSegments(cu, cu), 4, 4, 80, causal: false, new RandomGenerator(11));
    }

    [TestCase(false), TestCase(true)]
    public void CrossLengthsUseBottomRightCausalAlignment(bool causal)
    {
        // Queries shorter than keys (a continuation of a cached prefix): row i sees keys up to i + (Lk − Lq).
        var segments = new AttentionSegments(Cumulative(3, 1, 70), Cumulative(10, 5, 130));
        CompareWithEager(segments, 4, 2, 32, causal, new RandomGenerator(12));
    }

    [Test]
    public void LogSumExpMatchesEagerScores()
    {
        var rng = new RandomGenerator(13);
        var cu = Cumulative(7, 1, 33);
        var segments = new AttentionSegments(cu, cu);
        var (q, k, v) = Inputs(rng, segments, 2, 1, 16, DType.F64);
        using var scope = TensorScope.Begin();
        var (_, lse) = FusedAttention.VarlenWithLogSumExp(q, k, v, segments, causal: true);
        var scale = 1.0 / Math.Sqrt(16);
        var scores = q.Permute(1, 0, 2).MatMul(k.Permute(1, 2, 0)) * scale;
        var allowed = Tensor.FromArray(EagerAttention.AllowedMask(segments, causal: true), 41, 41);
        var expected = Tensor.Where(allowed, scores, Tensor.Scalar(double.NegativeInfinity, DType.F64)).LogSumExp(-1);
        Assert.That(lse.Shape, Is.EqualTo(new Shape(2, 41)));
        Assert.That(MaxAbsDiff(lse, expected), Is.LessThan(1e-12));
    }

    [Test]
    public void RowsThatSeeNoKeyGiveZeroOutputAndNegativeInfiniteLogSumExp()
    {
        // Causal with more queries than keys: the first Lq − Lk rows see nothing.
        var segments = new AttentionSegments(Cumulative(5), Cumulative(2));
        var (q, k, v) = Inputs(new RandomGenerator(14), segments, 1, 1, 8, DType.F32);
        var (output, lse) = FusedAttention.VarlenWithLogSumExp(q, k, v, segments, causal: true);
        var o = output.ToDoubleArray();
        var l = lse.ToDoubleArray();
        for (var i = 0; i < 3; i++)
        {
            Assert.That(l[i], Is.EqualTo(double.NegativeInfinity));
            Assert.That(o.Skip(i * 8).Take(8), Is.All.EqualTo(0.0));
        }
        Assert.That(double.IsFinite(l[3]) && double.IsFinite(l[4]), Is.True);
    }

    [Test]
    public void BackwardIsBitwiseRepeatable()
    {
        var rng = new RandomGenerator(15);
        var cu = Cumulative(RaggedLengths(rng, 3, 100));
        var segments = new AttentionSegments(cu, cu);
        var (q, k, v) = Inputs(rng, segments, 4, 2, 32, DType.F32);
        float[] Run()
        {
            q.Grad = k.Grad = v.Grad = null;
            foreach (var t in new[] { q, k, v }) t.RequiresGrad = true;
            using var scope = TensorScope.Begin();
            FusedAttention.Varlen(q, k, v, segments, causal: true).Square().Sum().Backward();
            return [.. q.Grad!.ToFloatArray(), .. k.Grad!.ToFloatArray(), .. v.Grad!.ToFloatArray()];
        }
        Assert.That(Run(), Is.EqualTo(Run()));
    }

    [TestCase(1, 1), TestCase(4, 2), TestCase(8, 1)]
    public void DecodeMatchesLastPositionOfFullCausalAttention(int headsQ, int headsKv)
    {
        var rng = new RandomGenerator((ulong)(16 + headsQ));
        const int headDim = 24, maxTokens = 20;
        int[] lengths = [20, 1, 9];
        var kCache = Tensor.RandN(new Shape(3, maxTokens, headsKv, headDim), rng);
        var vCache = Tensor.RandN(new Shape(3, maxTokens, headsKv, headDim), rng);
        var q = Tensor.RandN(new Shape(3, headsQ, headDim), rng);
        var decoded = FusedAttention.Decode(q, kCache, vCache, lengths).ToDoubleArray();
        for (var b = 0; b < 3; b++)
        {
            var length = lengths[b];
            // The full sequence's earlier queries are random; its last query is the decoded one.
            var earlier = Tensor.RandN(new Shape(length - 1, headsQ, headDim), rng).ToFloatArray();
            var fullQ = Tensor.FromFloats([.. earlier, .. q.Narrow(0, b, 1).ToFloatArray()], new Shape(length, headsQ, headDim));
            var keys = kCache.Narrow(0, b, 1).Narrow(1, 0, length).Reshape(length, headsKv, headDim);
            var values = vCache.Narrow(0, b, 1).Narrow(1, 0, length).Reshape(length, headsKv, headDim);
            var cu = Cumulative(length);
            var full = FusedAttention.Varlen(fullQ, keys, values, new AttentionSegments(cu, cu), causal: true).ToDoubleArray();
            var last = full.Skip((length - 1) * headsQ * headDim).ToArray();
            var mine = decoded.Skip(b * headsQ * headDim).Take(headsQ * headDim).ToArray();
            Assert.That(mine, Is.EqualTo(last).Within(1e-5), $"sequence {b}");
        }
    }

    [Test]
    public void PaddedBatchEqualsPackedSegmentsAndZerosAtPadding()
    {
        var rng = new RandomGenerator(17);
        const int batch = 3, tokens = 12, headsQ = 4, headsKv = 2, headDim = 16;
        // Row 0 left-padded, row 1 full, row 2 right-padded.
        var keep = new bool[batch * tokens];
        int[][] real = [[.. Enumerable.Range(5, 7)], [.. Enumerable.Range(0, 12)], [.. Enumerable.Range(0, 4)]];
        for (var b = 0; b < batch; b++)
            foreach (var t in real[b]) keep[b * tokens + t] = true;
        var q = Tensor.RandN(new Shape(batch, tokens, headsQ, headDim), rng);
        var k = Tensor.RandN(new Shape(batch, tokens, headsKv, headDim), rng);
        var v = Tensor.RandN(new Shape(batch, tokens, headsKv, headDim), rng);
        var padded = FusedAttention.Padded(q, k, v, Tensor.FromArray(keep, batch, tokens), causal: true).ToDoubleArray();
        var rowSize = headsQ * headDim;
        for (var b = 0; b < batch; b++)
        {
            var n = real[b].Length;
            Tensor Pick(Tensor x) => Tensor.FromFloats(
                real[b].SelectMany(t => x.Narrow(0, b, 1).Narrow(1, t, 1).ToFloatArray()).ToArray(), new Shape(n, x.Shape[2], headDim));
            var cu = Cumulative(n);
            var expected = FusedAttention.Varlen(Pick(q), Pick(k), Pick(v), new AttentionSegments(cu, cu), causal: true).ToDoubleArray();
            for (var t = 0; t < tokens; t++)
            {
                var got = padded.Skip((b * tokens + t) * rowSize).Take(rowSize).ToArray();
                var position = Array.IndexOf(real[b], t);
                if (position < 0) Assert.That(got, Is.All.EqualTo(0.0), $"padded position ({b}, {t})");
                else Assert.That(got, Is.EqualTo(expected.Skip(position * rowSize).Take(rowSize).ToArray()).Within(1e-6), $"token ({b}, {t})");
            }
        }
    }

    [Test]
    public void ForwardAndBackwardAllocateNothingOfSizeTByT()
    {
        const int tokens = 1024;
        var workload = new AttentionWorkload(tokens, headsQ: 1, headsKv: 1, headDim: 8, causal: true);
        workload.Run(fused: true);
        workload.Run(fused: true);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        workload.Run(fused: true);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        // One T×T fp32 score matrix is 4 MiB (the eager reference makes five); outputs, gradients and tiles are far less.
        TestContext.Out.WriteLine($"fused forward+backward allocated {allocated} bytes");
        Assert.That(allocated, Is.LessThan(tokens * tokens * sizeof(float) / 2), $"fused attention allocated {allocated} bytes");
    }

    [Test]
    public void EachDeviceKindFindsItsImplementation()
    {
        Assert.That(Backends.For<IFusedAttention>(Device.Cpu), Is.SameAs(CpuFusedAttention.Instance));
        // CUDA has one registered; without a GPU the lookup says there is no device, not that nothing is registered.
        if (Engine.Cuda.CudaContext.IsAvailable)
            Assert.That(Backends.For<IFusedAttention>(Device.Cuda()), Is.InstanceOf<CudaFusedAttention>());
        else
            Assert.That(() => Backends.For<IFusedAttention>(Device.Cuda()), Throws.InvalidOperationException.With.Message.StartsWith("No CUDA device"));
    }

    [Test]
    public void BadShapesGiveClearErrors()
    {
        var cu = Cumulative(4);
        var segments = new AttentionSegments(cu, cu);
        var q = Tensor.Zeros(new Shape(4, 3, 8));
        var k = Tensor.Zeros(new Shape(4, 2, 8));
        Assert.That(() => FusedAttention.Varlen(q, k, k, segments, causal: false), Throws.ArgumentException.With.Message.Contains("multiple of kv heads"));
        Assert.That(() => FusedAttention.Varlen(Tensor.Zeros(new Shape(5, 2, 8)), k, k, segments, causal: false), Throws.ArgumentException.With.Message.Contains("cu_seqlens_q ends at 4"));
        Assert.That(() => new AttentionSegments([0, 3, 2], [0, 3, 4]), Throws.ArgumentException.With.Message.Contains("non-decreasing"));
        var kSameHeads = Tensor.Zeros(new Shape(4, 3, 8)).To(DType.BF16);
        Assert.That(() => FusedAttention.Varlen(q.To(DType.BF16), kSameHeads, kSameHeads, segments, causal: false), Throws.InstanceOf<NotSupportedException>());
    }
}
