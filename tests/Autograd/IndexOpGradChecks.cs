using NUnit.Framework;
using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;

namespace StyleAlign.Tests.Autograd;

[TestFixture, Category("GradCheck")]
public class IndexOpGradChecks
{
    [Test, CoversOp(typeof(CatOp))]
    public void CatOfTransposedAndNarrowedInputs()
    {
        var rng = new RandomGenerator(21);
        var a = GradCheck.Random(rng, 3, 2);
        var b = GradCheck.Random(rng, 2, 5);
        GradCheck.Check(v => Tensor.Cat([v[0].T, v[1].Narrow(1, 1, 3)], 1), [a, b], mustRecord: [typeof(CatOp)]);
        GradCheck.Check(v => Tensor.Stack([v[0].T, v[1].Narrow(1, 0, 3)], 0), [a, b], mustRecord: [typeof(CatOp)]);
    }

    [Test, CoversOp(typeof(IndexSelectOp))]
    public void IndexSelectWithRepeatedIndicesOnATransposedInput()
    {
        var x = GradCheck.Random(new RandomGenerator(22), 4, 3);
        var index = Tensor.FromArray(new long[] { 2, 0, 2, 1 }, 4);
        // Along dim 1 of the [3, 4] transposed view; the repeated 2 accumulates twice in backward.
        GradCheck.Check(v => v[0].T.IndexSelect(1, index), [x], mustRecord: [typeof(IndexSelectOp)]);
        GradCheck.Check(v => v[0].IndexSelect(0, Tensor.FromArray(new int[] { 3, 3, 0 }, 3)), [x]);
    }

    [Test, CoversOp(typeof(IndexAddOp))]
    public void IndexAddIntoABroadcastTarget()
    {
        var rng = new RandomGenerator(23);
        var target = GradCheck.Random(rng, 1, 4);
        var src = GradCheck.Random(rng, 3, 2);
        var index = Tensor.FromArray(new long[] { 1, 1 }, 2);
        GradCheck.Check(v => v[0].Expand(new Shape(3, 4)).IndexAdd(1, index, v[1]), [target, src], mustRecord: [typeof(IndexAddOp)]);
    }

    [Test, CoversOp(typeof(GatherOp))]
    public void GatherAlongBothDimsOfANonContiguousInput()
    {
        var x = GradCheck.Random(new RandomGenerator(24), 5, 3);
        var along1 = Tensor.FromArray(new long[] { 4, 0, 4, 2, 1, 1 }, 3, 2);
        GradCheck.Check(v => v[0].T.Gather(1, along1), [x], mustRecord: [typeof(GatherOp)]);
        var along0 = Tensor.FromArray(new long[] { 2, 0, 1, 1 }, 2, 2);
        GradCheck.Check(v => v[0].Narrow(0, 1, 4).Gather(0, along0), [x]);
    }

    [Test, CoversOp(typeof(ScatterAddOp))]
    public void ScatterAddWithASrcLargerThanTheIndex()
    {
        var rng = new RandomGenerator(25);
        var target = GradCheck.Random(rng, 3, 4);
        var src = GradCheck.Random(rng, 3, 3);
        var index = Tensor.FromArray(new long[] { 3, 3, 0, 1 }, 2, 2);
        GradCheck.Check(v => v[0].ScatterAdd(1, index, v[1].T), [target, src], mustRecord: [typeof(ScatterAddOp)]);
    }
}
