using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// Counter-based dropout mask: element i (row-major) is kept iff <see cref="SplitMix64.UniformAt"/>(seed, i) ≥ p,
    /// the 53-bit uniform of output i of SplitMix64 seeded with the seed. No state is carried between elements, so
    /// every device reproduces the same mask from (seed, shape).
    /// </summary>
    public Tensor DropoutMask(Shape shape, double p, ulong seed)
    {
        if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability {p} is outside [0, 1]");
        var output = Output<byte>(shape, DType.Bool, out var keep);
        Parallel.For(0, keep.Length, ParallelChunk(keep.Length), i => keep[i] = SplitMix64.UniformAt(seed, (ulong)i) >= p ? (byte)1 : (byte)0);
        return output;
    }
}
