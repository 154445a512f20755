namespace StyleAlign.Engine.Cuda;

/// <summary>
/// The counter-based hash behind dropout (kernels/dropout.cu, `dropout_uniform`), in C#, so the CPU backend draws
/// exactly the GPU's mask: element i of a call with (seed, offset) is kept when <see cref="Uniform"/> ≥ p.
/// </summary>
public static class DropoutHash
{
    /// <summary>
    /// A 53-bit uniform number in [0, 1) for one element: SplitMix64's output function of seed + (counter + 1)·golden,
    /// top 53 bits scaled by 2⁻⁵³ — the definition CpuBackend.DropoutUniform uses, so every device draws one mask.
    /// </summary>
    public static double Uniform(ulong seed, ulong counter)
    {
        unchecked
        {
            var z = seed + (counter + 1UL) * 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 11) * (1.0 / (1UL << 53));
        }
    }

    public static bool Keep(ulong seed, ulong offset, long index, double p) => Uniform(seed, offset + (ulong)index) >= p;
}
