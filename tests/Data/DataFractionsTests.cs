using NUnit.Framework;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Tests.Data;

[TestFixture, Category("Unit")]
public class DataFractionsTests
{
    private static readonly IReadOnlyList<int> Items = Enumerable.Range(0, 320).ToArray();

    [Test]
    public void Subsets_AreNestedAcrossTheStandardGrid()
    {
        var subsets = DataFractions.StandardPercents.Select(p => DataFractions.Subset(Items, p, seed: 42)).ToList();

        Assert.That(subsets.Select(s => s.Count), Is.EqualTo(new[] { 3, 16, 32, 80, 160, 320 }));
        for (int i = 1; i < subsets.Count; i++)
            Assert.That(subsets[i], Is.SupersetOf(subsets[i - 1]), $"{DataFractions.StandardPercents[i]} % ⊇ {DataFractions.StandardPercents[i - 1]} %");
        Assert.That(subsets[^1], Is.EqualTo(Items));
    }

    [Test]
    public void Subset_IsDeterministicPerSeed_AndKeepsTheOriginalOrder()
    {
        var first = DataFractions.Subset(Items, 10, seed: 3);
        var again = DataFractions.Subset(Items, 10, seed: 3);
        var other = DataFractions.Subset(Items, 10, seed: 4);

        Assert.That(again, Is.EqualTo(first));
        Assert.That(other, Is.Not.EqualTo(first));
        Assert.That(first, Is.Ordered);
        Assert.That(first, Is.Unique);
        // A random tenth of 0..319 is spread out, not a block at the start.
        Assert.That(first, Is.Not.EqualTo(Items.Take(32)));
    }

    [Test]
    public void Subset_KeepsAtLeastOneExample()
    {
        Assert.That(DataFractions.Subset(new[] { "only", "two" }, 1, seed: 0), Has.Count.EqualTo(1));
        Assert.That(DataFractions.SubsetSize(50, 1), Is.EqualTo(1));
    }

    [TestCase(0.0)]
    [TestCase(-5.0)]
    [TestCase(100.5)]
    [TestCase(double.NaN)]
    public void Subset_RejectsPercentagesOutsideTheRange(double percent)
    {
        Assert.That(() => DataFractions.Subset(Items, percent, seed: 1), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void DeterministicRandom_IsAStableSequence()
    {
        // First outputs of SplitMix64 seeded with 0; changing the generator would silently change every dataset.
        var rng = new DeterministicRandom(0);
        Assert.That(rng.NextUInt64(), Is.EqualTo(0xE220A8397B1DCDAFUL));
        Assert.That(rng.NextUInt64(), Is.EqualTo(0x6E789E6AA1B965F4UL));
    }

    [Test]
    public void Shuffled_IsAPermutation_ThatDependsOnTheSeed()
    {
        var shuffled = DeterministicShuffle.Shuffled(Items, 9);

        Assert.That(shuffled, Is.EquivalentTo(Items));
        Assert.That(shuffled, Is.EqualTo(DeterministicShuffle.Shuffled(Items, 9)));
        Assert.That(shuffled, Is.Not.EqualTo(DeterministicShuffle.Shuffled(Items, 10)));
    }
}
