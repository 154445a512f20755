using NUnit.Framework;
using StyleAlign.Engine.Core;

namespace StyleAlign.Tests.Cpu;

/// <summary>
/// The cast rule of docs/numerics.md on the CPU backend, value by value; the CUDA kernels are compared with the CPU
/// bit for bit in the Cuda conformance tests.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class CastRuleTests
{
    private static readonly float[] Specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 3e9f, -3e9f, 2.9f, -2.9f, 300f, -1f, -0f];

    [Test]
    public void FloatsBecomeIntegersTruncatedAndSaturatedWithNaNAsZero()
    {
        var x = Tensor.FromArray(Specials);
        Assert.That(x.To(DType.I32).ToArray<int>(), Is.EqualTo(new[] { 0, int.MaxValue, int.MinValue, int.MaxValue, int.MinValue, 2, -2, 300, -1, 0 }));
        Assert.That(x.To(DType.I64).ToArray<long>(), Is.EqualTo(new[] { 0, long.MaxValue, long.MinValue, 3_000_000_000, -3_000_000_000, 2, -2, 300, -1, 0 }));
        Assert.That(x.To(DType.U8).ToArray<byte>(), Is.EqualTo(new byte[] { 0, 255, 0, 255, 0, 2, 0, 255, 0, 0 }));
        Assert.That(x.To(DType.Bool).ToArray<byte>(), Is.EqualTo(new byte[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 }), "x ≠ 0, so NaN is true");
        Assert.That(x.To(DType.BF16).To(DType.I32).ToArray<int>(), Is.EqualTo(new[] { 0, int.MaxValue, int.MinValue, int.MaxValue, int.MinValue, 2, -2, 300, -1, 0 }));
    }

    [Test]
    public void TheLargestFloatsBelowTheLimitsStillConvertExactly()
    {
        var below = Tensor.FromArray(new[] { 2147483520f, -2147483648f, 9.2233715e18f, 254.99f });
        Assert.That(below.To(DType.I32).ToArray<int>().Take(2), Is.EqualTo(new[] { 2147483520, int.MinValue }));
        Assert.That(below.To(DType.I64).ToArray<long>()[2], Is.EqualTo(9_223_371_487_098_961_920L), "the largest F32 below 2⁶³");
        Assert.That(below.To(DType.U8).ToArray<byte>()[3], Is.EqualTo(254));
    }

    [Test]
    public void IntegersBecomeNarrowerIntegersByTheirLowBits()
    {
        var x = Tensor.FromArray(new long[] { -1, 300, (1L << 40) + 5, 1L << 31, long.MinValue });
        Assert.That(x.To(DType.I32).ToArray<int>(), Is.EqualTo(new[] { -1, 300, 5, int.MinValue, 0 }));
        Assert.That(x.To(DType.U8).ToArray<byte>(), Is.EqualTo(new byte[] { 255, 44, 5, 0, 0 }));
        Assert.That(Tensor.FromArray(new[] { -1, 511 }).To(DType.U8).ToArray<byte>(), Is.EqualTo(new byte[] { 255, 255 }));
    }
}
