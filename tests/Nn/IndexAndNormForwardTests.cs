using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Tests.Nn;

[TestFixture, Category("Unit")]
public class IndexAndNormForwardTests
{
    private static Tensor Matrix(double[] values, params int[] shape) => Tensor.FromDoubles(values, new Shape(shape));

    private static Tensor Vector64(params double[] values) => Tensor.FromDoubles(values, new Shape(values.Length), DType.F64);

    [Test]
    public void CatAndStack()
    {
        var a = Matrix([1, 2, 3, 4], 2, 2);
        var b = Matrix([5, 6], 2, 1);
        Assert.That(Tensor.Cat([a, b], 1).ToDoubleArray(), Is.EqualTo(new double[] { 1, 2, 5, 3, 4, 6 }));
        Assert.That(Tensor.Cat([a, a.T], 0).ToDoubleArray(), Is.EqualTo(new double[] { 1, 2, 3, 4, 1, 3, 2, 4 }));
        var stacked = Tensor.Stack([a, a.T], 2);
        Assert.That(stacked.Shape, Is.EqualTo(new Shape(2, 2, 2)));
        Assert.That(stacked.ToDoubleArray(), Is.EqualTo(new double[] { 1, 1, 2, 3, 3, 2, 4, 4 }));
        var ids = Tensor.Cat([Tensor.FromArray(new long[] { 7 }, 1), Tensor.FromArray(new long[] { 8, 9 }, 2)], 0);
        Assert.That(ids.ToArray<long>(), Is.EqualTo(new long[] { 7, 8, 9 }));
        Assert.Throws<ArgumentException>(() => Tensor.Cat([a, Matrix([1, 2, 3], 3, 1)], 1));
    }

    [Test]
    public void IndexSelectGatherScatterAddIndexAdd()
    {
        var x = Matrix([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.That(x.IndexSelect(1, Tensor.FromArray(new long[] { 2, 0, 2 }, 3)).ToDoubleArray(), Is.EqualTo(new double[] { 3, 1, 3, 6, 4, 6 }));
        Assert.That(x.IndexSelect(0, Tensor.FromArray(new int[] { 1 }, 1)).ToDoubleArray(), Is.EqualTo(new double[] { 4, 5, 6 }));

        var index = Tensor.FromArray(new long[] { 2, 0, 1, 1 }, 2, 2);
        Assert.That(x.Gather(1, index).ToDoubleArray(), Is.EqualTo(new double[] { 3, 1, 5, 5 }));
        // Row 0 gets 1 at column 2 and 2 at column 0; row 1 gets 3 + 4 at column 1.
        var scattered = Tensor.Zeros(new Shape(2, 3)).ScatterAdd(1, index, Matrix([1, 2, 3, 4], 2, 2).To(DType.F32));
        Assert.That(scattered.ToDoubleArray(), Is.EqualTo(new double[] { 2, 0, 1, 0, 7, 0 }));

        // Rows 2, 0, 2 of a [3, 2] ones tensor receive [1,1], [2,2], [3,3]: row 0 = 3, row 1 = 1, row 2 = 1 + 1 + 3.
        var added = Tensor.Ones(new Shape(3, 2)).IndexAdd(0, Tensor.FromArray(new long[] { 2, 0, 2 }, 3), Matrix([1, 1, 2, 2, 3, 3], 3, 2).To(DType.F32));
        Assert.That(added.ToDoubleArray(), Is.EqualTo(new double[] { 3, 3, 1, 1, 5, 5 }));

        Assert.Throws<IndexOutOfRangeException>(() => x.IndexSelect(1, Tensor.FromArray(new long[] { 3 }, 1)));
        Assert.Throws<ArgumentException>(() => x.IndexSelect(1, Tensor.FromArray(new[] { 1.0f }, 1)));
    }

    [Test]
    public void EmbeddingLooksUpRowsAndAccumulatesRepeatedIdsInBackward()
    {
        var weight = Matrix([0, 1, 10, 11, 20, 21, 30, 31], 4, 2).To(DType.F64);
        weight.RequiresGrad = true;
        var ids = Tensor.FromArray(new long[] { 3, 0, 1, 3 }, 2, 2);
        var y = Functional.Embedding(weight, ids);
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 2, 2)));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new double[] { 30, 31, 0, 1, 10, 11, 30, 31 }));
        y.Sum().Backward();
        // Each lookup adds ones to its row: id 3 twice, ids 0 and 1 once, id 2 never.
        Assert.That(weight.Grad!.ToDoubleArray(), Is.EqualTo(new double[] { 1, 1, 1, 1, 0, 0, 2, 2 }));
    }

    [Test]
    public void LinearUsesTheTransposedWeightAndBias()
    {
        // W = [[1, 2, 3], [0, −1, 1]], b = [10, 20]; x = [1, 1, 2] → [1+2+6+10, 0−1+2+20] = [19, 21].
        var w = Matrix([1, 2, 3, 0, -1, 1], 2, 3);
        var b = Matrix([10, 20], 2);
        var x = Matrix([1, 1, 2, 0, 0, 0], 2, 1, 3);
        var y = Functional.Linear(x, w, b);
        Assert.That(y.Shape, Is.EqualTo(new Shape(2, 1, 2)));
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new double[] { 19, 21, 10, 20 }));
    }

    [Test]
    public void RmsNormHandValues()
    {
        // Row [1, 2, 3, 6]: mean of squares = (1 + 4 + 9 + 36) / 4 = 12.5, so y = x / sqrt(12.5 + eps).
        // Row [2, 2, 2, 2]: mean of squares 4, y = 1 (times the weight). Row of zeros stays zero.
        const double eps = 1e-6;
        var x = Matrix([1, 2, 3, 6, 2, 2, 2, 2, 0, 0, 0, 0], 3, 4);
        var weight = Matrix([1, 2, 1, 0.5], 4);
        var y = Functional.RmsNorm(x, weight, eps).ToDoubleArray();
        var r = 1 / Math.Sqrt(12.5 + eps);
        var r2 = 1 / Math.Sqrt(4 + eps);
        var expected = new[] { 1 * r, 4 * r, 3 * r, 3 * r, 2 * r2, 4 * r2, 2 * r2, 1 * r2, 0, 0, 0, 0 };
        Assert.That(y, Is.EqualTo(expected).Within(1e-6));
        var (_, invRms) = x.Backend.RmsNorm(x, weight, eps);
        Assert.That(invRms.Shape, Is.EqualTo(new Shape(3)));
        Assert.That(invRms.ToDoubleArray(), Is.EqualTo(new[] { r, r2, 1 / Math.Sqrt(eps) }).Within(1e-3));
    }

    [Test]
    public void LayerNormHandValues()
    {
        // Row [1, 2, 3, 6]: mean 3, deviations [−2, −1, 0, 3], biased variance (4 + 1 + 0 + 9) / 4 = 3.5.
        const double eps = 1e-5;
        var x = Matrix([1, 2, 3, 6], 1, 4).To(DType.F64);
        var weight = Matrix([1, 1, 2, 1], 4).To(DType.F64);
        var bias = Matrix([0, 0.5, 0, 0], 4).To(DType.F64);
        var r = 1 / Math.Sqrt(3.5 + eps);
        var y = Functional.LayerNorm(x, weight, bias, eps).ToDoubleArray();
        Assert.That(y, Is.EqualTo(new[] { -2 * r, -r + 0.5, 0, 3 * r }).Within(1e-12));
        var (_, mean, invStd) = x.Backend.LayerNorm(x, weight, bias, eps);
        Assert.That(mean.Item(), Is.EqualTo(3.0));
        Assert.That(invStd.Item(), Is.EqualTo(r).Within(1e-12));
    }

    [Test]
    public void Float32NormsAndGradientsAgreeWithFloat64()
    {
        var rng = new RandomGenerator(11);
        var x = Tensor.RandN(new Shape(6, 33), rng, dtype: DType.F64);
        var w = Tensor.RandN(new Shape(33), rng, dtype: DType.F64);
        var b = Tensor.RandN(new Shape(33), rng, dtype: DType.F64);
        var g = Tensor.RandN(new Shape(6, 33), rng, dtype: DType.F64);
        var backend = x.Backend;
        var (y64, r64) = backend.RmsNorm(x, w, 1e-6);
        var (y32, r32) = backend.RmsNorm(x.To(DType.F32), w.To(DType.F32), 1e-6);
        Assert.That(y32.ToDoubleArray(), Is.EqualTo(y64.ToDoubleArray()).Within(1e-5));
        var (gx64, gw64) = backend.RmsNormBackward(x, w, r64, g);
        var (gx32, gw32) = backend.RmsNormBackward(x.To(DType.F32), w.To(DType.F32), r32, g.To(DType.F32));
        Assert.That(gx32.ToDoubleArray(), Is.EqualTo(gx64.ToDoubleArray()).Within(1e-4));
        Assert.That(gw32.ToDoubleArray(), Is.EqualTo(gw64.ToDoubleArray()).Within(1e-4));
        var (l64, m64, s64) = backend.LayerNorm(x, w, b, 1e-5);
        var (l32, m32, s32) = backend.LayerNorm(x.To(DType.F32), w.To(DType.F32), b.To(DType.F32), 1e-5);
        Assert.That(l32.ToDoubleArray(), Is.EqualTo(l64.ToDoubleArray()).Within(1e-5));
        var (lx64, lw64, lb64) = backend.LayerNormBackward(x, w, m64, s64, g);
        var (lx32, lw32, lb32) = backend.LayerNormBackward(x.To(DType.F32), w.To(DType.F32), m32, s32, g.To(DType.F32));
        Assert.That(lx32.ToDoubleArray(), Is.EqualTo(lx64.ToDoubleArray()).Within(1e-4));
        Assert.That(lw32.ToDoubleArray(), Is.EqualTo(lw64.ToDoubleArray()).Within(1e-4));
        Assert.That(lb32.ToDoubleArray(), Is.EqualTo(lb64.ToDoubleArray()).Within(1e-4));
    }

    [Test]
    public void RotaryRotatesHalvesAndTheInverseUndoesIt()
    {
        // D = 4 pairs (0, 2) and (1, 3). Pair 0 turns by 90° (cos 0, sin 1), pair 1 by 0°:
        // y = [x0·0 − x2·1, x1·1 − x3·0, x2·0 + x0·1, x3·1 + x1·0] = [−3, 2, 1, 4].
        var x = Matrix([1, 2, 3, 4], 1, 4);
        var cos = Matrix([0, 1, 0, 1], 4);
        var sin = Matrix([1, 0, 1, 0], 4);
        var y = Functional.Rotary(x, cos, sin);
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new double[] { -3, 2, 1, 4 }));
        Assert.That(x.Backend.Rotary(y, cos, sin, inverse: true).ToDoubleArray(), Is.EqualTo(new double[] { 1, 2, 3, 4 }));

        // A general angle keeps each pair's length: |(y0, y2)| = |(x0, x2)|.
        var (c, s) = (Math.Cos(0.7), Math.Sin(0.7));
        var z = Functional.Rotary(Vector64(1, 2, 3, 4), Vector64(c, 1, c, 1), Vector64(s, 0, s, 0)).ToDoubleArray();
        Assert.That(z[0], Is.EqualTo(1 * c - 3 * s).Within(1e-15));
        Assert.That(z[2], Is.EqualTo(3 * c + 1 * s).Within(1e-15));
        Assert.That(Math.Sqrt(z[0] * z[0] + z[2] * z[2]), Is.EqualTo(Math.Sqrt(10)).Within(1e-14));
    }
}
