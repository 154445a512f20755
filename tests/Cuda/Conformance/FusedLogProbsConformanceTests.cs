using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.FusedOps.LogProbs;
using static StyleAlign.Tests.Cuda.Conformance.Conformance;

namespace StyleAlign.Tests.Cuda.Conformance;

/// <summary>
/// The fused linear + log-prob and the ops around it through autograd on CUDA (the registered
/// <see cref="CudaFusedLogProbs"/>) against the CPU: several chunks with a short last one, ignored targets, a bias,
/// the entropy output, the completion gather and the per-sequence sums, values and gradients.
/// </summary>
[TestFixture, Category("Cuda")]
public sealed class FusedLogProbsConformanceTests
{
    private const int Rows = 37, Width = 48, Vocab = 301;

    private static Tensor Targets() =>
        Tensor.FromArray(Enumerable.Range(0, Rows).Select(i => i % 7 == 3 ? -1L : (i * 101L) % Vocab).ToArray());

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(TokenLogProbsOp))]
    public void TokenLogProbsOverSeveralChunksWithBias(DType dtype)
    {
        // 37 rows in chunks of 8: four full chunks and a short one; the weight gradient sums 37 rounded rows in BF16.
        Check("token log-probs, chunks of 8, bias", dtype, [Random(601, Rows, Width), Random(602, Vocab, Width) * 0.3, Random(603, Vocab), Targets()], [0, 1, 2],
            t => TokenLogProbs.Compute(t[0], t[1], t[3], t[2], chunkRows: 8), bf16GradientAtol: 0.05);
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(TokenLogProbsOp))]
    public void TokenLogProbsWithEntropyAndTheDefaultChunk(DType dtype)
    {
        Check("token log-probs and entropy, default chunk", dtype, [Random(611, Rows, Width), Random(612, Vocab, Width) * 0.3, Targets()], [0, 1],
            t =>
            {
                var (logProbs, entropy) = TokenLogProbs.ComputeWithEntropy(t[0], t[1], t[2]);
                return Tensor.Cat([logProbs, entropy], 0);
            }, bf16GradientAtol: 0.05);
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(CompletionGatherOp))]
    public void CompletionGatherPicksTheTargetPositions(DType dtype)
    {
        var ids = new long[2, 6];
        var mask = new bool[2, 6];
        foreach (var (b, t) in new[] { (0, 3), (0, 4), (0, 5), (1, 1), (1, 2) }) mask[b, t] = true;
        for (var b = 0; b < 2; b++)
            for (var t = 0; t < 6; t++) ids[b, t] = 7 * b + t;
        Check("completion gather", dtype, [Random(621, 2, 6, 5)], [0], t => CompletionGather.Select(t[0], ids, mask).Hidden);
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(SegmentSumOp))]
    public void SegmentSumsAndMeansWithAnEmptySegment(DType dtype)
    {
        // Segment 2 has no values: its sum is 0 and its mean 0.
        var ids = Indices(0, 1, 1, 3, 0, 3, 3, 1);
        Check("segment sum", dtype, [Random(631, 8), ids], [0], t => Segments.Sum(t[0], t[1], 4));
        Check("segment mean", dtype, [Random(632, 8), ids], [0], t => Segments.Mean(t[0], t[1], 4));
    }

    [Test]
    public void DefaultChunkFollowsTheByteBudgetAndTheFreeMemory()
    {
        var device = Device.Cuda(CudaTestSupport.RequireDevice().DeviceIndex);
        var logProbs = CudaFusedLogProbs.For(device);
        var saved = logProbs.MaxChunkBytes;
        try
        {
            logProbs.MaxChunkBytes = 4L << 20;
            Assert.That(logProbs.DefaultChunkRows(151_936, DType.F32), Is.EqualTo((4 << 20) / (151_936 * 4)));
            logProbs.MaxChunkBytes = long.MaxValue;
            var (free, _) = CudaContext.Get(device.Index).MemoryInfo();
            Assert.That(logProbs.DefaultChunkRows(151_936, DType.F32), Is.EqualTo(free / 4 / (151_936 * 4)), "a quarter of the free memory");
            Assert.That(() => logProbs.DefaultChunkRows(10, DType.F64), Throws.TypeOf<NotSupportedException>().With.Message.Contains("F64"));
        }
        finally
        {
            logProbs.MaxChunkBytes = saved;
        }
    }
}
