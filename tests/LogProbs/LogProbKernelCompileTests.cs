using System.Text;
using NUnit.Framework;
using StyleAlign.Engine.LogProbs;

namespace StyleAlign.Tests.LogProbs;

[TestFixture, Category("KernelCompile")]
public class LogProbKernelCompileTests
{
    private static readonly string[] EntryPoints = ["logprob_chunk_fwd_f32", "logprob_chunk_fwd_bf16", "logprob_chunk_bwd_f32", "logprob_chunk_bwd_bf16"];

    [TestCase("sm_80"), TestCase("sm_90")]
    public void CompilesToCubinWithEveryEntryPoint(string arch)
    {
        var nvrtc = NvrtcCubin.TryLoad();
        if (nvrtc is null) Assert.Ignore("NVRTC is not installed (run .ci/install-nvrtc.sh)");
        using var stream = typeof(TokenLogProbs).Assembly.GetManifestResourceStream("kernels/logprob.cu")
            ?? throw new AssertionException("kernels/logprob.cu is not embedded in the engine assembly");
        var source = new StreamReader(stream).ReadToEnd();
        Assert.That(source, Does.Not.Contain("#include"), "kernels include no CUDA headers");

        var (cubin, log) = nvrtc.Compile(source, "logprob.cu", arch);
        Assert.That(log, Does.Not.Contain("warning"), log);
        Assert.That(cubin.Length, Is.GreaterThan(0));
        Assert.That(Encoding.ASCII.GetString(cubin.AsSpan(0, 4)), Is.EqualTo("\u007fELF"));
        var text = Encoding.ASCII.GetString(cubin);
        foreach (var name in EntryPoints) Assert.That(text, Does.Contain(name), $"{name} missing from the {arch} CUBIN");
    }
}
