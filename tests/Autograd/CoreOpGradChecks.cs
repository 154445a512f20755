using NUnit.Framework;
using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;

namespace StyleAlign.Tests.Autograd;

[TestFixture, Category("GradCheck")]
public class CoreOpGradChecks
{
    private static IEnumerable<UnaryKind> UnaryKinds => Enum.GetValues<UnaryKind>();

    [TestCaseSource(nameof(UnaryKinds)), CoversOp(typeof(UnaryOp))]
    public void Unary(UnaryKind kind)
    {
        var rng = new RandomGenerator(1);
        var needsPositive = kind is UnaryKind.Log or UnaryKind.Sqrt or UnaryKind.Rsqrt or UnaryKind.Pow;
        var x = needsPositive ? GradCheck.Positive(rng, 3, 4) : GradCheck.Random(rng, 3, 4);
        // A transposed (non-contiguous) view feeds the op, so the strided path is checked too.
        GradCheck.Check(v => UnaryOp.Apply(kind, v[0].T, 1.7), [x], mustRecord: [typeof(UnaryOp)]);
    }

    [TestCase(BinaryKind.Add), TestCase(BinaryKind.Sub), TestCase(BinaryKind.Mul), TestCase(BinaryKind.Div), TestCase(BinaryKind.Maximum), TestCase(BinaryKind.Minimum)]
    [CoversOp(typeof(BinaryOp))]
    public void BinaryWithBroadcast(BinaryKind kind)
    {
        var rng = new RandomGenerator(2);
        var a = GradCheck.Random(rng, 2, 3, 4);
        var b = kind == BinaryKind.Div ? GradCheck.Positive(rng, 3, 1) : GradCheck.Random(rng, 3, 1);
        GradCheck.Check(v => BinaryOp.Apply(kind, v[0], v[1]), [a, b], mustRecord: [typeof(BinaryOp)]);
    }

    [Test, CoversOp(typeof(ClampOp))]
    public void Clamp() => GradCheck.Check(v => v[0].Clamp(-0.5, 0.7), [GradCheck.Random(new RandomGenerator(3), 4, 5)], mustRecord: [typeof(ClampOp)]);

    [Test, CoversOp(typeof(WhereOp))]
    public void Where()
    {
        var rng = new RandomGenerator(4);
        var a = GradCheck.Random(rng, 3, 4);
        var b = GradCheck.Random(rng, 4);
        GradCheck.Check(v => Tensor.Where(v[0].Gt(0.0), v[0], v[1]), [a, b], mustRecord: [typeof(WhereOp)]);
    }

    [TestCase(ReduceKind.Sum), TestCase(ReduceKind.Mean), TestCase(ReduceKind.Max), TestCase(ReduceKind.Min), TestCase(ReduceKind.LogSumExp)]
    [CoversOp(typeof(ReduceOp))]
    public void ReduceOverSeveralDims(ReduceKind kind)
    {
        var x = GradCheck.Random(new RandomGenerator(5), 2, 3, 4);
        GradCheck.Check(v => ReduceOp.Apply(kind, v[0].Permute(2, 0, 1), [0, 2], keepDim: false), [x], mustRecord: [typeof(ReduceOp)]);
        GradCheck.Check(v => ReduceOp.Apply(kind, v[0], [1], keepDim: true), [x]);
    }

    [TestCase(false), TestCase(true), CoversOp(typeof(SoftmaxOp))]
    public void Softmax(bool log)
    {
        var x = GradCheck.Random(new RandomGenerator(6), 3, 5);
        GradCheck.Check(v => log ? v[0].LogSoftmax(0) : v[0].Softmax(-1), [x], mustRecord: [typeof(SoftmaxOp)]);
    }

    [Test, CoversOp(typeof(MatMulOp))]
    public void BatchedMatMulWithBroadcastAndTransposedOperand()
    {
        var rng = new RandomGenerator(7);
        var a = GradCheck.Random(rng, 2, 3, 4);
        var b = GradCheck.Random(rng, 5, 4);
        GradCheck.Check(v => v[0].MatMul(v[1].T), [a, b], mustRecord: [typeof(MatMulOp)]);
    }

    [Test, CoversOp(typeof(ReshapeOp)), CoversOp(typeof(PermuteOp)), CoversOp(typeof(NarrowOp)), CoversOp(typeof(ExpandOp)), CoversOp(typeof(ContiguousOp))]
    public void Views()
    {
        var x = GradCheck.Random(new RandomGenerator(8), 2, 3, 4);
        GradCheck.Check(
            v => v[0].Permute(1, 0, 2).Contiguous().Reshape(3, 8).Narrow(1, 2, 5).Unsqueeze(0).Expand(new Shape(2, 3, 5)),
            [x],
            mustRecord: [typeof(ReshapeOp), typeof(PermuteOp), typeof(NarrowOp), typeof(ExpandOp), typeof(ContiguousOp)]);
    }

    [Test, CoversOp(typeof(CastOp))]
    public void CastRoundTripThroughF32()
    {
        var x = GradCheck.Random(new RandomGenerator(9), 3);
        // The f32 round trip is not differentiable to f64 precision, so compare with a loose tolerance.
        GradCheck.Check(v => (v[0].To(DType.F32) * v[0].To(DType.F32)).To(DType.F64), [x], eps: 1e-3, atol: 1e-3, rtol: 1e-3, mustRecord: [typeof(CastOp)]);
    }
}
