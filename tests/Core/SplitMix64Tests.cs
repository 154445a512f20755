using NUnit.Framework;
using StyleAlign.Engine.Core;

namespace StyleAlign.Tests.Core;

[TestFixture, Category("Unit")]
public sealed class SplitMix64Tests
{
    [Test]
    public void TheSequenceSeededWithZeroIsTheReferenceOne()
    {
        // First outputs of SplitMix64 seeded with 0, as its authors publish them.
        var state = 0UL;
        Assert.That(SplitMix64.Next(ref state), Is.EqualTo(0xE220A8397B1DCDAFUL));
        Assert.That(SplitMix64.Next(ref state), Is.EqualTo(0x6E789E6AA1B965F4UL));
        Assert.That(state, Is.EqualTo(unchecked(2 * SplitMix64.Increment)));
    }

    [Test]
    public void ReadingAtAnIndexGivesTheOutputOfThatManySteps()
    {
        foreach (var seed in new ulong[] { 0, 1, 7, 20261123, 0xDEADBEEFCAFEF00D, ulong.MaxValue })
        {
            var state = seed;
            for (ulong i = 0; i < 1000; i++)
                Assert.That(SplitMix64.At(seed, i), Is.EqualTo(SplitMix64.Next(ref state)), $"seed {seed}, index {i}");
        }
    }

    [Test]
    public void UniformDrawsUseTheTop53BitsAndKeepTheRequestedFraction()
    {
        Assert.That(SplitMix64.UniformAt(0, 0), Is.EqualTo((0xE220A8397B1DCDAFUL >> 11) / 9007199254740992.0));
        Assert.That(SplitMix64.ToUnitInterval(ulong.MaxValue), Is.LessThan(1.0));
        Assert.That(SplitMix64.ToUnitInterval(0), Is.EqualTo(0.0));
        const double p = 0.1;
        const int count = 200_000;
        var kept = Enumerable.Range(0, count).Count(i => SplitMix64.UniformAt(1234, (ulong)i) >= p);
        Assert.That(kept / (double)count, Is.EqualTo(1 - p).Within(0.005));
    }
}
