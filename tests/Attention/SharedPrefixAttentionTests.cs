using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;
using StyleAlign.Tests.Autograd;
using static StyleAlign.Tests.Attention.AttentionTestData;

namespace StyleAlign.Tests.Attention;

/// <summary>
/// Segments that read a shared key prefix: per pair the packed rows are [prefix | chosen | rejected]; the chosen rows
/// attend to the prefix and themselves as one ordinary segment, the rejected rows to the prefix (a key prefix) and
/// themselves. The fused op must equal attention over the two unshared sequences [prefix | chosen], [prefix | rejected].
/// </summary>
[TestFixture, Category("Unit")]
public class SharedPrefixAttentionTests
{
    /// <summary>Per pair (prefix, chosen, rejected) lengths; lengths past 64 cross the tile boundaries.</summary>
    private static readonly (int Prefix, int Chosen, int Rejected)[] Pairs = [(70, 9, 66), (3, 1, 2), (130, 40, 1)];

    [TestCase(true, 4, 2, 16), TestCase(false, 4, 2, 16), TestCase(true, 2, 1, 80), TestCase(true, 6, 2, 32)]
    public void SharedPrefixSegmentsMatchEager(bool causal, int headsQ, int headsKv, int headDim) =>
        CompareWithEager(Shared(Pairs), headsQ, headsKv, headDim, causal, new RandomGenerator((ulong)(headDim + headsQ + (causal ? 100 : 0))));

    [TestCase(DType.F64, 1e-12), TestCase(DType.F32, 2e-5)]
    public void SharedPrefixEqualsTheUnsharedPairs(DType dtype, double tolerance)
    {
        var rng = new RandomGenerator(31);
        var shared = Shared(Pairs);
        var (q, k, v) = Inputs(rng, shared, 4, 2, 32, dtype);
        var projection = Tensor.RandN(q.Shape, rng, dtype: dtype);
        var (unsharedRows, backToShared) = UnsharedRows(Pairs);
        var unshared = Unshared(Pairs);
        var rows = Tensor.FromArray(unsharedRows.Select(r => (long)r).ToArray());
        var back = Tensor.FromArray(backToShared.Select(r => (long)r).ToArray());

        var (sharedOut, sharedGrads) = RunWithGradients(x => FusedAttention.Varlen(x[0], x[1], x[2], shared, causal: true), q, k, v, projection);
        // The unshared pairs read copies of the shared rows (the prefix twice); their gradients sum into the shared rows.
        var (unsharedOut, unsharedGrads) = RunWithGradients(
            x => FusedAttention.Varlen(x[0].IndexSelect(0, rows), x[1].IndexSelect(0, rows), x[2].IndexSelect(0, rows), unshared, causal: true).IndexSelect(0, back),
            q, k, v, projection);
        Assert.That(MaxAbsDiff(sharedOut, unsharedOut), Is.LessThan(tolerance), "output");
        string[] names = ["dq", "dk", "dv"];
        for (var i = 0; i < 3; i++)
            Assert.That(MaxAbsDiff(sharedGrads[i], unsharedGrads[i]), Is.LessThan(tolerance * 10), names[i]);
    }

    [Test]
    public void RejectedQueriesSeeEveryPrefixKeyAndTheirOwnKeysUpToThemselves()
    {
        var segments = Shared([(3, 2, 2)]);
        var allowed = EagerAttention.AllowedMask(segments, causal: true);
        bool Sees(int query, int key) => allowed[query * 7 + key];
        // Rows: prefix 0–2, chosen 3–4, rejected 5–6.
        Assert.That(Enumerable.Range(0, 7).Where(j => Sees(5, j)), Is.EqualTo(new[] { 0, 1, 2, 5 }));
        Assert.That(Enumerable.Range(0, 7).Where(j => Sees(6, j)), Is.EqualTo(new[] { 0, 1, 2, 5, 6 }));
        Assert.That(Enumerable.Range(0, 7).Where(j => Sees(4, j)), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }), "chosen never sees rejected");
        Assert.That(Enumerable.Range(0, 7).Where(j => Sees(1, j)), Is.EqualTo(new[] { 0, 1 }));
    }

    [Test]
    public void SegmentsSharingKeyRowsFormOneBackwardGroup()
    {
        var shared = Shared(Pairs);
        Assert.That(shared.KeyGroups.Select(g => g.ToArray()), Is.EqualTo(new[] { new[] { 0, 1 }, new[] { 2, 3 }, new[] { 4, 5 } }));
        Assert.That(Unshared(Pairs).KeyGroups, Has.Count.EqualTo(6));
        Assert.That(shared.MaxLengthK, Is.EqualTo(170), "the longest [prefix ; own keys] is 130 + 40");
    }

    [Test]
    public void BackwardWithPrefixesIsBitwiseRepeatable()
    {
        var segments = Shared(Pairs);
        var (q, k, v) = Inputs(new RandomGenerator(32), segments, 4, 2, 16, DType.F32);
        var projection = Tensor.RandN(q.Shape, new RandomGenerator(33));
        float[] Run()
        {
            var (_, grads) = RunWithGradients(x => FusedAttention.Varlen(x[0], x[1], x[2], segments, causal: true), q, k, v, projection);
            return grads.SelectMany(g => g.ToFloatArray()).ToArray();
        }
        Assert.That(Run(), Is.EqualTo(Run()));
    }

    [Test]
    public void BadKeyPrefixesGiveClearErrors()
    {
        int[] cu = [0, 5, 8];
        Assert.That(() => new AttentionSegments(cu, cu, [0, 0], null), Throws.ArgumentException.With.Message.Contains("give both or neither"));
        Assert.That(() => new AttentionSegments(cu, cu, [0], [0]), Throws.ArgumentException.With.Message.Contains("one start and one length per segment"));
        Assert.That(() => new AttentionSegments(cu, cu, [0, 6], [0, 4]), Throws.ArgumentException.With.Message.Contains("outside the 8 key rows"));
        Assert.That(() => new AttentionSegments(cu, cu, [0, 3], [0, 3]), Throws.ArgumentException.With.Message.Contains("overlaps its own keys [5, 8)"));
    }

    [TestCase(true), TestCase(false), Category("GradCheck"), CoversOp(typeof(AttentionOp))]
    public void GradientsThroughSharedKeyPrefixes(bool causal)
    {
        var segments = Shared([(5, 3, 4), (2, 1, 1)]);
        var (q, k, v) = Inputs(new RandomGenerator(34), segments, 4, 2, 8, DType.F64);
        GradCheck.Check(x => FusedAttention.Varlen(x[0], x[1], x[2], segments, causal), [q, k, v], mustRecord: [typeof(AttentionOp)]);
    }

    /// <summary>
    /// Two captions reading one 70-row prompt (longer than a 64-row tile) after its chosen caption, then a short pair:
    /// rows [prompt 70 | chosen 9 | rejected 6 | second rejected 5 | prompt 6 + chosen 4 | rejected 3].
    /// </summary>
    internal static AttentionSegments PrefixReadByTwoSegments() =>
        new([0, 79, 85, 90, 100, 103], [0, 79, 85, 90, 100, 103], [0, 0, 0, 0, 90], [0, 70, 70, 0, 6]);

    [Test]
    public void MaterializedPrefixesCopyEachPrefixRowOncePerReader()
    {
        var (plain, rows) = Shared([(3, 2, 2)]).WithPrefixesMaterialized();
        Assert.That(rows, Is.EqualTo(new[] { 0, 1, 2, 3, 4, 0, 1, 2, 5, 6 }));
        Assert.That((plain.CuSeqlensQ, plain.CuSeqlensK, plain.HasKeyPrefixes), Is.EqualTo((new[] { 0, 5, 7 }, new[] { 0, 5, 10 }, false)));
    }

    [TestCase(true), TestCase(false)]
    public void MaterializedPrefixesEqualThePrefixSegmentsWithGradientsSummedBack(bool causal)
    {
        var segments = PrefixReadByTwoSegments();
        var (plain, keyRows) = segments.WithPrefixesMaterialized();
        var rows = Tensor.FromArray(keyRows.Select(r => (long)r).ToArray());
        var (q, k, v) = Inputs(new RandomGenerator(35), segments, 4, 2, 16, DType.F64);
        var projection = Tensor.RandN(q.Shape, new RandomGenerator(36), dtype: DType.F64);
        var (prefixOut, prefixGrads) = RunWithGradients(x => FusedAttention.Varlen(x[0], x[1], x[2], segments, causal), q, k, v, projection);
        var (plainOut, plainGrads) = RunWithGradients(
            x => FusedAttention.Varlen(x[0], x[1].IndexSelect(0, rows), x[2].IndexSelect(0, rows), plain, causal), q, k, v, projection);
        Assert.That(MaxAbsDiff(prefixOut, plainOut), Is.LessThan(1e-12), "output");
        string[] names = ["dq", "dk", "dv"];
        for (var i = 0; i < 3; i++)
            Assert.That(MaxAbsDiff(prefixGrads[i], plainGrads[i]), Is.LessThan(1e-11), names[i]);
    }

    /// <summary>[prefix | chosen | rejected] per pair: segment 2p = prefix and chosen, segment 2p+1 = rejected reading the prefix.</summary>
    internal static AttentionSegments Shared((int Prefix, int Chosen, int Rejected)[] pairs)
    {
        var lengths = pairs.SelectMany(p => new[] { p.Prefix + p.Chosen, p.Rejected }).ToArray();
        var cu = Cumulative(lengths);
        var starts = new int[lengths.Length];
        var prefixLengths = new int[lengths.Length];
        for (var p = 0; p < pairs.Length; p++)
        {
            starts[2 * p + 1] = cu[2 * p];
            prefixLengths[2 * p + 1] = pairs[p].Prefix;
        }
        return new AttentionSegments(cu, cu, starts, prefixLengths);
    }

    /// <summary>[prefix | chosen] and [prefix | rejected] per pair, each its own segment.</summary>
    private static AttentionSegments Unshared((int Prefix, int Chosen, int Rejected)[] pairs)
    {
        var cu = Cumulative(pairs.SelectMany(p => new[] { p.Prefix + p.Chosen, p.Prefix + p.Rejected }).ToArray());
        return new AttentionSegments(cu, cu);
    }

    /// <summary>Which shared row each unshared row copies, and which unshared row stands for each shared row.</summary>
    private static (List<int> UnsharedRows, List<int> BackToShared) UnsharedRows((int Prefix, int Chosen, int Rejected)[] pairs)
    {
        var rows = new List<int>();
        var back = new List<int>();
        var shared = 0;
        foreach (var (prefix, chosen, rejected) in pairs)
        {
            var first = rows.Count;
            rows.AddRange(Enumerable.Range(shared, prefix + chosen));
            back.AddRange(Enumerable.Range(first, prefix + chosen));
            var second = rows.Count;
            rows.AddRange(Enumerable.Range(shared, prefix));
            rows.AddRange(Enumerable.Range(shared + prefix + chosen, rejected));
            back.AddRange(Enumerable.Range(second + prefix, rejected));
            shared += prefix + chosen + rejected;
        }
        return (rows, back);
    }
}
