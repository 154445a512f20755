using NUnit.Framework;
using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;
using static StyleAlign.Tests.Cuda.Conformance.Conformance;

namespace StyleAlign.Tests.Cuda.Conformance;

[TestFixture, Category("Cuda")]
public sealed class ElementwiseConformanceTests
{
    private static IEnumerable<TestCaseData> UnaryCases() =>
        from kind in Enum.GetValues<UnaryKind>()
        from dtype in FloatTypes
        select new TestCaseData(kind, dtype).SetName($"Unary_{kind}_{dtype}");

    private static readonly HashSet<UnaryKind> PositiveDomain = [UnaryKind.Log, UnaryKind.Sqrt, UnaryKind.Rsqrt, UnaryKind.Pow];

    [TestCaseSource(nameof(UnaryCases)), CudaCaseFor(typeof(UnaryOp))]
    public void UnaryOnATransposedView(UnaryKind kind, DType dtype)
    {
        var x = PositiveDomain.Contains(kind) ? Uniform(1, 0.3, 3.0, 37, 5) : Random(1, 37, 5) * 2.0;
        var alpha = kind switch { UnaryKind.Pow => 1.7, UnaryKind.Scale => -0.3, UnaryKind.AddScalar => 0.25, _ => 0 };
        Check($"unary {kind}", dtype, [x], [0], t => UnaryOp.Apply(kind, t[0].T, alpha));
    }

    private static IEnumerable<TestCaseData> BinaryCases() =>
        from kind in Enum.GetValues<BinaryKind>()
        from dtype in FloatTypes
        select new TestCaseData(kind, dtype).SetName($"Binary_{kind}_{dtype}");

    [TestCaseSource(nameof(BinaryCases)), CudaCaseFor(typeof(BinaryOp))]
    public void BinaryBroadcastsAcrossStridedViews(BinaryKind kind, DType dtype)
    {
        // a: [4, 1, 5] narrowed from [4, 1, 9]; b: [3, 1] transposed from [1, 3]: the output is [4, 3, 5].
        var a = Random(2, 4, 1, 9);
        var b = kind == BinaryKind.Div ? Uniform(3, 0.5, 2.0, 1, 3) : Random(3, 1, 3);
        int[] grads = kind.IsComparison() ? [] : [0, 1];
        Check($"binary {kind}", dtype, [a, b], grads, t => BinaryOp.Apply(kind, t[0].Narrow(2, 2, 5), t[1].T));
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(ClampOp))]
    public void ClampOnANarrowedView(DType dtype)
    {
        var x = Random(4, 6, 33);
        Check("clamp", dtype, [x], [0], t => t[0].Narrow(1, 1, 31).Clamp(-0.5, 0.75));
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(WhereOp))]
    public void WhereBroadcastsConditionAndBranches(DType dtype)
    {
        var condition = Random(5, 7, 1).Gt(0.0);
        var a = Random(6, 7, 11);
        var b = Random(7, 11);
        Check("where", dtype, [condition, a, b], [1, 2], t => Tensor.Where(t[0], t[1], t[2]));
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(DropoutOp))]
    public void DropoutDrawsTheCpuMask(DType dtype)
    {
        var x = Random(8, 13, 257);
        Check("dropout", dtype, [x], [0], t => DropoutOp.Apply(t[0], 0.3, seed: 20261123));
    }

    [Test]
    public void DropoutMaskIsBitIdenticalToTheCpuMask()
    {
        var device = Device.Cuda(CudaTestSupport.RequireDevice().DeviceIndex);
        var shape = new Shape(3, 1001);
        foreach (var p in new[] { 0.0, 0.1, 0.5, 0.9999, 1.0 })
        {
            var expected = Backends.For(Device.Cpu).DropoutMask(shape, p, 99);
            var actual = Backends.For(device).DropoutMask(shape, p, 99);
            Compare($"dropout mask p={p}", actual, expected, DType.F32);
        }
    }

    private static IEnumerable<TestCaseData> CastCases() =>
        from pair in new[] { (DType.F32, DType.BF16), (DType.BF16, DType.F32), (DType.F32, DType.I32), (DType.F32, DType.I64), (DType.I64, DType.F32), (DType.I64, DType.I32), (DType.I32, DType.I64), (DType.F32, DType.Bool), (DType.Bool, DType.F32) }
        select new TestCaseData(pair.Item1, pair.Item2).SetName($"Cast_{pair.Item1}_to_{pair.Item2}");

    [TestCaseSource(nameof(CastCases)), CudaCaseFor(typeof(CastOp))]
    public void CastOfAStridedView(DType from, DType to)
    {
        var device = TestDevice();
        // Fractions of both signs (float→int truncates toward zero), zeros (→bool), and values bf16 must round.
        var values = Enumerable.Range(0, 60).Select(i => ((i * 7919) % 23 - 11) * 1.37 + (i % 3 == 0 ? 0 : 0.5)).ToArray();
        var x = Tensor.FromDoubles(values, new Shape(6, 10), from);
        var expected = x.T.To(to);
        var actual = x.To(device).T.To(to);
        Assert.That(actual.DType, Is.EqualTo(to));
        Compare($"cast {from}->{to}", actual, expected, DType.F32);
    }

    /// <summary>Values with no exact integer: NaN, infinities and magnitudes beyond each integer type.</summary>
    private static readonly double[] SpecialValues =
        [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 3e9, -3e9, 1e19, -1e19, 3.4e38, 300.7, -0.9, 0.9, -255.5, 65504.5, -0.0];

    private static IEnumerable<TestCaseData> SpecialCastCases() =>
        from source in new[] { DType.F32, DType.BF16 }
        from target in new[] { DType.I32, DType.I64, DType.U8, DType.Bool, DType.F32, DType.BF16 }
        where source != target
        select new TestCaseData(source, target).SetName($"CastOfSpecialValues_{source}_to_{target}");

    /// <summary>
    /// NaN, infinities and out-of-range values, compared with the CPU like every other case and bit for bit, since a cast
    /// has one right answer: both devices follow one rule (docs/numerics.md) — into an integer, truncate toward zero,
    /// saturate at the type's limits, NaN is 0; into a float, round to nearest even.
    /// </summary>
    [TestCaseSource(nameof(SpecialCastCases))]
    public void CastOfSpecialValues(DType from, DType to)
    {
        var device = TestDevice();
        var x = Tensor.FromDoubles(SpecialValues, new Shape(2, 7), from);
        var actual = x.To(device).T.To(to);
        Assert.That(actual.DType, Is.EqualTo(to));
        CompareStoredValues($"cast of special values {from}->{to}", actual, x.T.To(to));
    }

    /// <summary>
    /// Integers the target cannot hold: a narrower integer keeps the low bits (−1 → 255 in U8, 2⁴⁰ + 5 → 5 in I32).
    /// </summary>
    [TestCase(DType.I64, DType.I32), TestCase(DType.I64, DType.U8), TestCase(DType.I64, DType.Bool), TestCase(DType.I32, DType.U8), TestCase(DType.I32, DType.I64)]
    public void CastOfIntegersBeyondTheTarget(DType from, DType to)
    {
        var device = TestDevice();
        long[] wide = [-1, 300, -300, (1L << 40) + 5, -(1L << 31) - 1, (1L << 62) + (1L << 38) + 1, long.MinValue, long.MaxValue, 16777217, 0];
        int[] narrow = [-1, 300, -300, int.MinValue, int.MaxValue, 16777217, -16777219, 0x01FF_FF7F, 255, 0];
        var x = from == DType.I64 ? Tensor.FromArray(wide, 2, 5) : Tensor.FromArray(narrow, 2, 5);
        var actual = x.To(device).T.To(to);
        Assert.That(actual.DType, Is.EqualTo(to));
        CompareStoredValues($"cast of integers beyond the target {from}->{to}", actual, x.T.To(to));
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(CastOp))]
    public void FloatCastCarriesGradients(DType dtype)
    {
        var x = Random(9, 5, 9);
        Check("cast to f32", dtype, [x], [0], t => t[0].T.To(DType.F32) * 3.0);
    }
}
