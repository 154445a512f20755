using System.Reflection;
using NUnit.Framework;
using StyleAlign.Engine.Attention;

namespace StyleAlign.Tests.Attention;

/// <summary>
/// The attention kernels compile to CUBIN with NVRTC for sm_80 and sm_90 at every padded head dim the models
/// use; ptxas' register and spill report is printed. No GPU is needed (and none runs them here).
/// </summary>
[TestFixture, Category("KernelCompile")]
public class AttentionKernelCompileTests
{
    private static readonly string[] Sources = ["attention.cu", "attention_bwd.cu"];

    private static IEnumerable<TestCaseData> Cases() =>
        from source in Sources
        from architecture in new[] { "sm_80", "sm_90" }
        from headDim in new[] { 16, 32, 64, 80, 128 }
        select new TestCaseData(source, architecture, headDim);

    [TestCaseSource(nameof(Cases))]
    public void CompilesToCubin(string source, string architecture, int headDim)
    {
        if (!AttentionNvrtc.IsAvailable)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
                Assert.Fail("libnvrtc is required in CI (install it with .ci/install-nvrtc.sh)");
            Assert.Ignore("libnvrtc is not installed, so the kernels cannot be compiled here");
        }
        var headers = new Dictionary<string, string> { ["attention_common.cuh"] = Resource("attention_common.cuh") };
        var result = AttentionNvrtc.Compile(source, Resource(source), headers, architecture, [$"-DATTN_HEAD_DIM={headDim}"]);
        Assert.That(result.Success, Is.True, $"{source} for {architecture}, D={headDim}:\n{result.Log}");
        Assert.That(result.CubinBytes, Is.GreaterThan(0));
        var usage = AttentionNvrtc.Usage(result.Log);
        Assert.That(usage, Is.Not.Empty, "ptxas reported no entry points");
        foreach (var entry in usage)
            TestContext.Out.WriteLine($"{architecture} D={headDim} {entry.Kernel}: {entry.Registers} registers, spill stores {entry.SpillStores} B, spill loads {entry.SpillLoads} B");
    }

    [Test]
    public void PaddedHeadDimRoundsUpToSixteen()
    {
        Assert.That(AttentionKernels.PaddedHeadDim(80), Is.EqualTo(80));
        Assert.That(AttentionKernels.PaddedHeadDim(72), Is.EqualTo(80));
        Assert.That(AttentionKernels.PaddedHeadDim(8), Is.EqualTo(16));
        Assert.That(() => AttentionKernels.PaddedHeadDim(12), Throws.ArgumentException);
        Assert.That(() => AttentionKernels.PaddedHeadDim(136), Throws.ArgumentException);
    }

    private static string Resource(string file)
    {
        var assembly = typeof(FusedAttention).Assembly;
        using var stream = assembly.GetManifestResourceStream("kernels/" + file)
            ?? throw new FileNotFoundException($"embedded kernel source kernels/{file} not found in {assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
