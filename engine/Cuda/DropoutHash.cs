namespace StyleAlign.Engine.Cuda;

/// <summary>
/// The counter-based hash behind dropout (kernels/dropout.cu, `dropout_uniform`), in C#, so the CPU backend draws
/// exactly the GPU's mask: element i of a call with (seed, offset) is kept when <see cref="Uniform"/> ≥ p.
/// </summary>
public static class DropoutHash
{
    /// <summary>A 24-bit uniform number in [0, 1) for one element: SplitMix64's output function of seed + (counter + 1)·golden.</summary>
    public static float Uniform(ulong seed, ulong counter)
    {
        unchecked
        {
            var z = seed + (counter + 1UL) * 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 40) * (1.0f / 16777216.0f);
        }
    }

    public static bool Keep(ulong seed, ulong offset, long index, float p) => Uniform(seed, offset + (ulong)index) >= p;
}
