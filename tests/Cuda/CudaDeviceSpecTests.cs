using NUnit.Framework;
using StyleAlign.Engine.Cuda;

namespace StyleAlign.Tests.Cuda;

[TestFixture, Category("Unit")]
public sealed class CudaDeviceSpecTests
{
    [Test]
    public void DeviceSpecParsesCudaNames()
    {
        Assert.That(CudaDeviceSpec.Parse("cuda"), Is.EqualTo(0));
        Assert.That(CudaDeviceSpec.Parse("CUDA:3"), Is.EqualTo(3));
        Assert.That(() => CudaDeviceSpec.Parse("cpu"), Throws.TypeOf<FormatException>().With.Message.Contains("cuda:N"));
        Assert.That(CudaDeviceSpec.TryParse("cuda:-1", out _), Is.False);
    }
}
