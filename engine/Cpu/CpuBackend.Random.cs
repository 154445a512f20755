using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// Counter-based dropout mask: element i (row-major) is kept iff u(i) ≥ p, where
    /// u(i) = (h >> 11) · 2⁻⁵³ and h = splitmix64_finalize(seed + (i + 1) · 0x9E3779B97F4A7C15)
    /// (finalize: z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31).
    /// No state is carried between elements, so every device reproduces the same mask from (seed, shape).
    /// </summary>
    public Tensor DropoutMask(Shape shape, double p, ulong seed)
    {
        if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability {p} is outside [0, 1]");
        var keep = new byte[shape.NumElements];
        Parallel.For(0, keep.Length, ParallelChunk(keep.Length), i => keep[i] = DropoutUniform(seed, i) >= p ? (byte)1 : (byte)0);
        return Wrap(keep, shape, DType.Bool);
    }

    /// <summary>The uniform value in [0, 1) that decides element i of a dropout mask.</summary>
    internal static double DropoutUniform(ulong seed, long i)
    {
        var z = seed + (ulong)(i + 1) * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}
