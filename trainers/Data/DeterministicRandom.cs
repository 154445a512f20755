using StyleAlign.Engine.Core;

namespace StyleAlign.Trainers.Data;

/// <summary>
/// A <see cref="SplitMix64"/> generator. Data generation and shuffling use it instead of <see cref="System.Random"/>
/// because its sequence is fixed by definition here, so a seed gives the same dataset on every runtime.
/// </summary>
public sealed class DeterministicRandom
{
    private ulong _state;

    public DeterministicRandom(ulong seed) => _state = seed;

    /// <summary>A generator for stream <paramref name="stream"/> of <paramref name="seed"/>; streams are independent.</summary>
    public static DeterministicRandom ForStream(ulong seed, ulong stream) => new(SplitMix64.Mix(seed ^ SplitMix64.Mix(stream + 0x632BE59BD9B4E019UL)));

    public ulong NextUInt64() => SplitMix64.Next(ref _state);

    /// <summary>Uniform integer in [0, <paramref name="exclusiveMax"/>), without modulo bias.</summary>
    public int NextInt(int exclusiveMax)
    {
        if (exclusiveMax <= 0) throw new ArgumentOutOfRangeException(nameof(exclusiveMax), exclusiveMax, "must be positive");
        ulong bound = (ulong)exclusiveMax;
        ulong threshold = (0UL - bound) % bound; // 2^64 mod bound: draws below it would favour small values
        while (true)
        {
            ulong draw = NextUInt64();
            if (draw >= threshold) return (int)(draw % bound);
        }
    }

    /// <summary>Uniform integer in [<paramref name="min"/>, <paramref name="exclusiveMax"/>).</summary>
    public int NextInt(int min, int exclusiveMax) => min + NextInt(exclusiveMax - min);

    /// <summary>Uniform double in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => SplitMix64.ToUnitInterval(NextUInt64());

    public double NextDouble(double min, double max) => min + (max - min) * NextDouble();

    public T Pick<T>(IReadOnlyList<T> items) => items[NextInt(items.Count)];

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (int i = items.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A random permutation of 0..<paramref name="count"/>-1.</summary>
    public int[] Permutation(int count)
    {
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        Shuffle<int>(order);
        return order;
    }
}
