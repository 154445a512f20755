namespace StyleAlign.Engine.Core;

/// <summary>
/// SplitMix64: a 64-bit state stepped by the golden-ratio increment, each new state scrambled by a fixed output
/// function. Its sequence is fixed by this definition, so a seed gives the same bits on every runtime and device.
/// Everything random in the project draws from it: <see cref="RandomGenerator"/> is seeded through it, data
/// generation and shuffling step it, and dropout masks read it at an index (<see cref="UniformAt"/>) — the CUDA
/// kernel (kernels/dropout.cu, dropout_uniform) computes that same function, so every device draws one mask.
/// </summary>
public static class SplitMix64
{
    /// <summary>The state increment: 2⁶⁴ divided by the golden ratio, made odd.</summary>
    public const ulong Increment = 0x9E3779B97F4A7C15UL;

    /// <summary>Advances <paramref name="state"/> by one step and returns the output for the new state.</summary>
    public static ulong Next(ref ulong state)
    {
        state += Increment;
        return Mix(state);
    }

    /// <summary>
    /// Output number <paramref name="index"/> (counting from 0) of the sequence seeded with <paramref name="seed"/>,
    /// computed directly rather than by stepping: the same value the (index + 1)-th <see cref="Next"/> returns.
    /// </summary>
    public static ulong At(ulong seed, ulong index) => Mix(seed + (index + 1) * Increment);

    /// <summary><see cref="At"/> as a uniform number in [0, 1) (its top 53 bits).</summary>
    public static double UniformAt(ulong seed, ulong index) => ToUnitInterval(At(seed, index));

    /// <summary>The output function: two xor-shift-multiply rounds and a final xor-shift.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The top 53 bits of a 64-bit draw as a double in [0, 1), every value exactly representable.</summary>
    public static double ToUnitInterval(ulong bits) => (bits >> 11) * (1.0 / (1UL << 53));
}
