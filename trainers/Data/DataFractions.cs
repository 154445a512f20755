namespace StyleAlign.Trainers.Data;

/// <summary>
/// Data budgets for saturation sweeps. All fractions of one seed are prefixes of one seeded permutation,
/// so the 1 % subset lies inside the 5 % subset, which lies inside the 10 % subset, and so on up to 100 %.
/// </summary>
public static class DataFractions
{
    /// <summary>The sweep grid, in percent.</summary>
    public static IReadOnlyList<double> StandardPercents { get; } = [1, 5, 10, 25, 50, 100];

    /// <summary>How many of <paramref name="total"/> examples a budget of <paramref name="percent"/> keeps (at least one).</summary>
    public static int SubsetSize(int total, double percent)
    {
        if (total < 1) throw new ArgumentOutOfRangeException(nameof(total), total, "cannot take a fraction of an empty dataset");
        if (!(percent > 0 && percent <= 100))
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "expected a percentage in (0, 100]");
        // The small epsilon keeps 10 % of 320 at 32 although 320 * 10 / 100 may land a hair below it.
        int size = (int)Math.Floor(total * percent / 100.0 + 1e-9);
        return Math.Clamp(size, 1, total);
    }

    /// <summary>
    /// The <paramref name="percent"/> % subset for <paramref name="seed"/>, in the original order of
    /// <paramref name="examples"/> (the training loop shuffles epochs itself).
    /// </summary>
    public static IReadOnlyList<T> Subset<T>(IReadOnlyList<T> examples, double percent, ulong seed)
    {
        int size = SubsetSize(examples.Count, percent);
        int[] chosen = new DeterministicRandom(seed).Permutation(examples.Count)[..size];
        Array.Sort(chosen);
        return chosen.Select(index => examples[index]).ToArray();
    }

    /// <inheritdoc cref="Subset{T}(IReadOnlyList{T}, double, ulong)"/>
    public static IReadOnlyList<T> Subset<T>(IReadOnlyList<T> examples, double percent, int seed) =>
        Subset(examples, percent, unchecked((ulong)seed));
}

/// <summary>Seeded shuffling with <see cref="DeterministicRandom"/>.</summary>
public static class DeterministicShuffle
{
    /// <summary>A shuffled copy of <paramref name="items"/>; the same seed always gives the same order.</summary>
    public static T[] Shuffled<T>(IEnumerable<T> items, ulong seed)
    {
        T[] copy = items.ToArray();
        new DeterministicRandom(seed).Shuffle<T>(copy);
        return copy;
    }
}
