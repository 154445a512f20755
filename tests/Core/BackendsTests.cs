using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;
using StyleAlign.Engine.FusedOps.Attention;
using StyleAlign.Engine.FusedOps.LogProbs;

namespace StyleAlign.Tests.Core;

[TestFixture, Category("Unit")]
public sealed class BackendsTests
{
    /// <summary>A capability no engine code registers, so the test owns its registrations.</summary>
    private interface IProbe
    {
        Device Device { get; }
    }

    private sealed record Probe(Device Device) : IProbe;

    [Test]
    public void TheEngineRegistersItsCpuImplementationsWhenItLoads()
    {
        Assert.That(Backends.For(Device.Cpu), Is.SameAs(CpuBackend.Instance));
        Assert.That(Backends.For<IFusedAttention>(Device.Cpu), Is.SameAs(CpuFusedAttention.Instance));
        Assert.That(Backends.For<IFusedLogProbs>(Device.Cpu), Is.SameAs(CpuFusedLogProbs.Instance));
    }

    [Test]
    public void ACapabilityResolvesPerDeviceKindThroughItsFactory()
    {
        Backends.Register<IProbe>(DeviceKind.Cpu, device => new Probe(device));
        Assert.That(Backends.For<IProbe>(Device.Cpu).Device, Is.EqualTo(Device.Cpu));
        var error = Assert.Throws<InvalidOperationException>(() => Backends.For<IProbe>(Device.Cuda(1)));
        Assert.That(error!.Message, Is.EqualTo("IProbe on cuda:1: no CUDA implementation is registered"));
    }
}
