using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.LogProbs;
using StyleAlign.Engine.IO;

namespace StyleAlign.Tests.LogProbs;

[TestFixture]
public class SegmentTests
{
    // The worked pair of docs/fused-ops.md: chosen = segment 0 (3 tokens), rejected = segment 1 (5 tokens).
    private static readonly double[] PairLogProbs = [-1.2, -0.3, -2.0, -0.5, -1.7, -0.9, -3.1, -0.2];
    private static readonly long[] PairSegments = [0, 0, 0, 1, 1, 1, 1, 1];

    [Test, Category("Unit")]
    public void WorkedVectorSumsCountsAndMeans()
    {
        using var scope = TensorScope.Begin();
        var values = Tensor.FromDoubles(PairLogProbs, new Shape(8), DType.F64);
        var segments = Tensor.FromArray(PairSegments, 8);
        Assert.That(Segments.Sum(values, segments, 2).ToDoubleArray(), Is.EqualTo(new[] { -3.5, -6.4 }).Within(1e-12));
        Assert.That(Segments.Count(segments, 2).ToDoubleArray(), Is.EqualTo(new[] { 3.0, 5.0 }));
        Assert.That(Segments.Mean(values, segments, 2).ToDoubleArray(), Is.EqualTo(new[] { -1.166667, -1.28 }).Within(1e-6));
    }

    [Test, Category("Unit")]
    public void WorkedVectorDpoGradientFlowsToEveryToken()
    {
        using var scope = TensorScope.Begin();
        var values = Tensor.FromDoubles(PairLogProbs, new Shape(8), DType.F64);
        values.RequiresGrad = true;
        var sums = Segments.Sum(values, Tensor.FromArray(PairSegments, 8), 2);
        var refSums = Tensor.FromDoubles([-4.0, -6.0], new Shape(2), DType.F64);
        var margins = sums - refSums;
        var z = (margins.Narrow(0, 0, 1) - margins.Narrow(0, 1, 1)) * 0.1;
        var loss = -z.Sigmoid().Log();
        Assert.That(z.Item(), Is.EqualTo(0.09).Within(1e-12));
        Assert.That(loss.Item(), Is.EqualTo(0.649159).Within(1e-6));
        loss.Sum().Backward();
        var g = values.Grad!.ToDoubleArray();
        Assert.That(g[..3], Is.All.EqualTo(-0.047752).Within(1e-6));
        Assert.That(g[3..], Is.All.EqualTo(0.047752).Within(1e-6));
    }

    [Test, Category("Unit")]
    public void WorkedVectorSimPoGradientGoesThroughTheMeans()
    {
        using var scope = TensorScope.Begin();
        var values = Tensor.FromDoubles(PairLogProbs, new Shape(8), DType.F64);
        values.RequiresGrad = true;
        var means = Segments.Mean(values, Tensor.FromArray(PairSegments, 8), 2);
        var z = (means.Narrow(0, 0, 1) - means.Narrow(0, 1, 1)) * 2.5 - 1.25;
        var loss = -z.Sigmoid().Log();
        Assert.That(z.Item(), Is.EqualTo(-0.966667).Within(1e-6));
        Assert.That(loss.Item(), Is.EqualTo(1.289003).Within(1e-6));
        loss.Sum().Backward();
        var g = values.Grad!.ToDoubleArray();
        Assert.That(g[..3], Is.All.EqualTo(-0.603712).Within(1e-6));
        Assert.That(g[3..], Is.All.EqualTo(0.362227).Within(1e-6));
    }

    [TestCase("chosen"), TestCase("rejected"), Category("Golden")]
    public void LossFixtureSumsAndAveragesThroughSegmentSum(string side)
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "losses", "losses.safetensors");
        using var fixture = SafetensorsFile.Open(path);
        var shape = fixture.GetEntry($"{side}_logps").Shape;
        var logps = fixture.ReadAsFloat64($"{side}_logps");
        var mask = fixture.ReadAsFloat64($"{side}_mask");
        var (rows, slots) = ((int)shape[0], (int)shape[1]);
        // Only masked-in slots become values; padded slots hold −7.0 and must not leak into the sums.
        var values = new List<double>();
        var segments = new List<long>();
        for (var b = 0; b < rows; b++)
            for (var t = 0; t < slots; t++)
                if (mask[b * slots + t] != 0)
                {
                    values.Add(logps[b * slots + t]);
                    segments.Add(b);
                }
        using var scope = TensorScope.Begin();
        var v = Tensor.FromDoubles(values.ToArray(), new Shape(values.Count), DType.F32);
        var s = Tensor.FromArray(segments.ToArray(), segments.Count);
        Assert.That(Segments.Sum(v, s, rows).ToDoubleArray(), Is.EqualTo(fixture.ReadAsFloat64($"{side}_logp_sum")).Within(1e-5));
        Assert.That(Segments.Mean(v, s, rows).ToDoubleArray(), Is.EqualTo(fixture.ReadAsFloat64($"{side}_logp_avg")).Within(1e-6));
        var expectedCounts = Enumerable.Range(0, rows).Select(b => mask.Skip(b * slots).Take(slots).Sum()).ToArray();
        Assert.That(Segments.Count(s, rows).ToDoubleArray(), Is.EqualTo(expectedCounts));
    }

    [Test, Category("Unit")]
    public void BadSegmentIdsAreRejected()
    {
        var values = Tensor.FromDoubles([1, 2], new Shape(2), DType.F64);
        Assert.That(() => Segments.Sum(values, Tensor.FromArray(new long[] { 0, 2 }, 2), 2), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contains("segment id 2 outside [0, 2)"));
        Assert.That(() => Segments.Sum(values, Tensor.FromArray(new long[] { 0 }, 1), 2), Throws.ArgumentException.With.Message.Contains("segment ids must be [2]"));
    }
}
