using System.Text;
using NUnit.Framework;
using StyleAlign.Engine.Cuda;
using StyleAlign.Tests.Cuda;

namespace StyleAlign.Tests.LogProbs;

[TestFixture, Category("KernelCompile")]
public class LogProbKernelCompileTests
{
    private static readonly string[] EntryPoints = ["logprob_chunk_fwd_f32", "logprob_chunk_fwd_bf16", "logprob_chunk_bwd_f32", "logprob_chunk_bwd_bf16"];

    [TestCase("sm_80"), TestCase("sm_90")]
    public void CompilesToCubinWithEveryEntryPoint(string arch)
    {
        CudaTestSupport.RequireNvrtc();
        var compilation = KernelCompiler.Compile("logprob", arch);
        Assert.That(compilation.Log, Does.Not.Contain("warning"), compilation.Log);
        var cubin = compilation.Cubin;
        Assert.That(cubin.Length, Is.GreaterThan(0));
        Assert.That(Encoding.ASCII.GetString(cubin.AsSpan(0, 4)), Is.EqualTo("\u007fELF"));
        var text = Encoding.ASCII.GetString(cubin);
        foreach (var name in EntryPoints) Assert.That(text, Does.Contain(name), $"{name} missing from the {arch} CUBIN");
        var reported = compilation.Kernels.Select(k => k.Kernel).ToArray();
        Assert.That(EntryPoints, Is.SubsetOf(reported), $"ptxas report for {arch}:\n{compilation.Log}");
        foreach (var entry in compilation.Kernels)
            TestContext.Out.WriteLine($"{arch} {entry.Kernel}: {entry.Registers} registers, spill stores {entry.SpillStoreBytes} B, spill loads {entry.SpillLoadBytes} B");
    }
}
