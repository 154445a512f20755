using NUnit.Framework;
using StyleAlign.Engine.Core;

namespace StyleAlign.Tests.Cpu;

/// <summary>
/// CPU MatMul with BF16 operands: the product is F32, and the inputs are exact bf16 values, so it differs from the
/// float64 product of the same values only by float rounding in the accumulation, at most (k + 8)·2⁻²⁴·Σ|a||b|.
/// </summary>
[TestFixture]
[Category("Unit")]
public class MatMulBf16Tests
{
    private const double FloatUnitRoundoff = 1.0 / (1 << 24);

    public static IEnumerable<TestCaseData> MatMulBf16Cases() =>
        from layout in new[] { "dense", "weight_transposed", "a_transposed", "broadcast_batch", "narrowed" }
        from dtypes in new[] { (DType.BF16, DType.BF16), (DType.F32, DType.BF16), (DType.BF16, DType.F32) }
        select new TestCaseData(layout, dtypes.Item1, dtypes.Item2).SetName($"MatMul_{layout}_{dtypes.Item1}x{dtypes.Item2}");

    [TestCaseSource(nameof(MatMulBf16Cases))]
    public void MatMul_Bf16Operands_ComputeInF32(string layout, DType dtypeA, DType dtypeB)
    {
        // Odd sizes: M = 17, K = 41 (odd, as a pair-interleaved kernel would see it), N = 37, batch 3.
        const int k = 41;
        Tensor Input(int seed, params int[] shape) => Tensor.RandN(new Shape(shape), new RandomGenerator((ulong)seed));
        var (a, b, product) = layout switch
        {
            "dense" => (Input(13, 3, 17, k), Input(14, 3, k, 37), (Func<Tensor, Tensor, Tensor>)((x, y) => x.MatMul(y))),
            "weight_transposed" => (Input(13, 3, 17, k), Input(14, 37, k), (x, y) => x.MatMul(y.T)),
            "a_transposed" => (Input(13, 3, k, 17), Input(14, 3, k, 37), (x, y) => x.T.MatMul(y)),
            "broadcast_batch" => (Input(13, 2, 3, 17, k), Input(14, k, 37), (x, y) => x.MatMul(y)),
            _ => (Input(13, 3, 17, k + 3), Input(14, 3, k, 40), (x, y) => x.Narrow(2, 1, k).MatMul(y.Narrow(2, 2, 37))),
        };
        using var storedA = a.To(dtypeA);
        using var storedB = b.To(dtypeB);
        using var result = product(storedA, storedB);
        Assert.That(result.DType, Is.EqualTo(DType.F32));

        using var exactA = storedA.To(DType.F64);
        using var exactB = storedB.To(DType.F64);
        using var reference = product(exactA, exactB);
        using var magnitude = product(exactA.Abs(), exactB.Abs());
        Assert.That(result.Shape, Is.EqualTo(reference.Shape));
        double[] got = result.ToDoubleArray(), expected = reference.ToDoubleArray(), scale = magnitude.ToDoubleArray();
        for (int i = 0; i < got.Length; i++)
        {
            double bound = (k + 8) * FloatUnitRoundoff * scale[i];
            if (Math.Abs(got[i] - expected[i]) > bound)
                Assert.Fail($"{layout} {dtypeA}·{dtypeB}: element {i} = {got[i]}, expected {expected[i]} (bound {bound:G3})");
        }
    }

    [Test]
    public void MatMul_F64WithBf16_ThrowsNamingBothTypes()
    {
        using var a = Tensor.Zeros(new Shape(2, 3), DType.F64);
        using var b = Tensor.Zeros(new Shape(3, 2), DType.BF16);
        var error = Assert.Throws<NotSupportedException>(() => a.MatMul(b));
        Assert.That(error!.Message, Does.Contain("F64·BF16"));
    }
}
