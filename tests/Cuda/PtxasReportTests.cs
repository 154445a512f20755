using NUnit.Framework;
using StyleAlign.Engine.Cuda;

namespace StyleAlign.Tests.Cuda;

[TestFixture, Category("Unit")]
public sealed class PtxasReportTests
{
    [Test]
    public void PtxasReportIsParsedPerEntryPoint()
    {
        const string log = """
            ptxas info    : 0 bytes gmem
            ptxas info    : Compiling entry function 'softmax_fwd_f32' for 'sm_80'
            ptxas info    : Function properties for softmax_fwd_f32
                8 bytes stack frame, 4 bytes spill stores, 12 bytes spill loads
            ptxas info    : Used 18 registers, 128 bytes smem, 380 bytes cmem[0]
            ptxas info    : Compiling entry function 'softmax_bwd_f32' for 'sm_80'
            ptxas info    : Function properties for softmax_bwd_f32
                0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
            ptxas info    : Used 16 registers, 380 bytes cmem[0]
            """;
        var usage = KernelCompiler.ParseResourceUsage(log);
        Assert.That(usage, Is.EqualTo(new[]
        {
            new KernelResourceUsage("softmax_fwd_f32", 18, 4, 12, 8, 128),
            new KernelResourceUsage("softmax_bwd_f32", 16, 0, 0, 0, 0),
        }));
    }
}
