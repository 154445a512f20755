using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;

namespace StyleAlign.Tests.Cpu;

[TestFixture, Category("Unit")]
public sealed class DropoutMaskTests
{
    /// <summary>
    /// The CPU mask is SplitMix64 read at each element's index, compared with all 53 bits: a p between two 24-bit
    /// steps is where a shorter hash would disagree. The CUDA kernel is checked against the same definition.
    /// </summary>
    [Test]
    public void TheCpuMaskIsSplitMix64ReadAtEachIndexToTheLastBit()
    {
        const double p = 0.3000000001;
        foreach (var seed in new ulong[] { 0, 5, 99, 0xDEADBEEFCAFEF00D, ulong.MaxValue })
        {
            var mask = CpuBackend.Instance.DropoutMask(new Shape(4096), p, seed).ToArray<byte>();
            for (var i = 0; i < mask.Length; i++)
                Assert.That(mask[i] == 1, Is.EqualTo(SplitMix64.UniformAt(seed, (ulong)i) >= p), $"seed {seed}, element {i}");
        }
    }
}
