using NUnit.Framework;
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

    public const double ValueTolerance = 2e-5;
    public const double GradTolerance = 1e-4;

    /// <summary>The fused op against the eager reference on random F32 inputs: output and the gradients of q, k, v.</summary>
    public static void CompareWithEager(AttentionSegments segments, int headsQ, int headsKv, int headDim, bool causal, RandomGenerator rng)
    {
        var (q, k, v) = Inputs(rng, segments, headsQ, headsKv, headDim, DType.F32);
        var projection = Tensor.RandN(q.Shape, rng);
        var scale = 1.0 / Math.Sqrt(headDim);
        var (fused, fusedGrads) = RunWithGradients(qkv => FusedAttention.Varlen(qkv[0], qkv[1], qkv[2], segments, causal, scale), q, k, v, projection);
        var (eager, eagerGrads) = RunWithGradients(qkv => EagerAttention.Varlen(qkv[0], qkv[1], qkv[2], segments, causal, scale), q, k, v, projection);
        Assert.That(MaxAbsDiff(fused, eager), Is.LessThan(ValueTolerance), "output");
        string[] names = ["dq", "dk", "dv"];
        for (var i = 0; i < 3; i++)
            Assert.That(MaxAbsDiff(fusedGrads[i], eagerGrads[i]), Is.LessThan(GradTolerance), names[i]);
    }

    /// <summary>The output and the gradients of fresh copies of q, k, v under the loss Σ output∘projection.</summary>
    public static (Tensor Output, Tensor[] Grads) RunWithGradients(Func<Tensor[], Tensor> attention, Tensor q, Tensor k, Tensor v, Tensor projection)
    {
        Tensor[] leaves = [q.Clone(), k.Clone(), v.Clone()];
        foreach (var leaf in leaves) leaf.RequiresGrad = true;
        var output = attention(leaves);
        (output * projection).Sum().Backward();
        return (output.Detach(), leaves.Select(l => l.Grad!).ToArray());
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
