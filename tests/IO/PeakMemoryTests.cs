using System.Runtime.InteropServices;
using NUnit.Framework;
using StyleAlign.Engine.IO;

namespace StyleAlign.Tests.IO;

/// <summary>A step's peak resident memory is its own; the lifetime peak keeps the largest.</summary>
[TestFixture, Category("Unit"), NonParallelizable]
public sealed class PeakMemoryTests
{
    private const int Size = 256 << 20;

    [Test]
    public unsafe void AStepsPeakIsItsOwnAndTheLifetimePeakKeepsTheLargest()
    {
        if (!File.Exists("/proc/self/clear_refs")) Assert.Ignore("the high-water mark can be reset only where /proc/self/clear_refs exists (Linux)");
        var peak = new PeakMemory();
        peak.BeginStep();
        var block = NativeMemory.Alloc(Size);
        new Span<byte>(block, Size).Fill(1); // touched, so resident
        NativeMemory.Free(block);
        var (large, lifetimeAfterLarge) = peak.EndStep();
        peak.BeginStep();
        var (small, lifetime) = peak.EndStep();
        Assert.That(large, Is.Not.Null);
        Assert.That(large - small, Is.GreaterThan(Size / 2), $"steps peaked at {large:N0} and {small:N0} bytes");
        Assert.That(lifetimeAfterLarge, Is.GreaterThanOrEqualTo(large!.Value));
        Assert.That(lifetime, Is.EqualTo(lifetimeAfterLarge), "the lifetime peak does not fall with a smaller step");
    }
}
