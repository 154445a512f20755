using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;

namespace StyleAlign.Tests.Attention;

/// <summary>Random packed batches for the attention tests.</summary>
internal static class AttentionTestData
{
    public static int[] Cumulative(params int[] lengths)
    {
        var cu = new int[lengths.Length + 1];
        for (var i = 0; i < lengths.Length; i++) cu[i + 1] = cu[i] + lengths[i];
        return cu;
    }

    /// <summary>Segment lengths in [1, maxLength], always including a length-1 segment.</summary>
    public static int[] RaggedLengths(RandomGenerator rng, int count, int maxLength)
    {
        var lengths = new int[count];
        for (var i = 0; i < count; i++) lengths[i] = 1 + rng.NextInt(maxLength);
        lengths[rng.NextInt(count)] = 1;
        return lengths;
    }

    public static (Tensor Q, Tensor K, Tensor V) Inputs(RandomGenerator rng, AttentionSegments segments, int headsQ, int headsKv, int headDim, DType dtype)
    {
        var q = Tensor.RandN(new Shape(segments.TotalQ, headsQ, headDim), rng, dtype: dtype);
        var k = Tensor.RandN(new Shape(segments.TotalK, headsKv, headDim), rng, dtype: dtype);
        var v = Tensor.RandN(new Shape(segments.TotalK, headsKv, headDim), rng, dtype: dtype);
        return (q, k, v);
    }

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        var x = a.ToDoubleArray();
        var y = b.ToDoubleArray();
        if (x.Length != y.Length) throw new ArgumentException($"shapes {a.Shape} and {b.Shape} differ");
        var max = 0.0;
        for (var i = 0; i < x.Length; i++) max = Math.Max(max, Math.Abs(x[i] - y[i]));
        return max;
    }
}
