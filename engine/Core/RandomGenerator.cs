namespace StyleAlign.Engine.Core;

/// <summary>
/// Reproducible generator (xoshiro256**, seeded through <see cref="SplitMix64"/>). Same seed, same bits on every run and
/// platform; System.Random is avoided because its algorithm is not a stable contract.
/// </summary>
public sealed class RandomGenerator
{
    private ulong _s0, _s1, _s2, _s3;

    public RandomGenerator(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix64.Next(ref x);
        _s1 = SplitMix64.Next(ref x);
        _s2 = SplitMix64.Next(ref x);
        _s3 = SplitMix64.Next(ref x);
    }

    /// <summary>The full state, so a training run can be checkpointed and resumed bit for bit.</summary>
    public ulong[] State
    {
        get => [_s0, _s1, _s2, _s3];
        set => (_s0, _s1, _s2, _s3) = (value[0], value[1], value[2], value[3]);
    }

    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => SplitMix64.ToUnitInterval(NextUInt64());

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        return (int)(NextDouble() * n);
    }

    /// <summary>Standard normal by Box–Muller (both values used in turn is avoided to keep the state simple).</summary>
    public double NextNormal()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Fisher–Yates permutation of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        var p = Enumerable.Range(0, n).ToArray();
        for (var i = n - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
