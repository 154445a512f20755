using System.Text.RegularExpressions;
using NUnit.Framework;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.FusedOps.Attention;
using StyleAlign.Tests.Cuda;

namespace StyleAlign.Tests.Attention;

/// <summary>
/// The attention kernels compile to CUBIN with NVRTC for sm_80 and sm_90 at every padded head dim the models
/// use; ptxas' register and spill report is printed. No GPU is needed (and none runs them here).
/// </summary>
[TestFixture, Category("KernelCompile")]
public partial class AttentionKernelCompileTests
{
    private static readonly string[] Families = ["attention", "attention_bwd"];

    private static IEnumerable<TestCaseData> Cases() =>
        from family in Families
        from architecture in CudaTestSupport.Architectures
        from headDim in new[] { 16, 32, 64, 80, 128 }
        select new TestCaseData(family, architecture, headDim);

    [TestCaseSource(nameof(Cases))]
    public void CompilesToCubin(string family, string architecture, int headDim)
    {
        CudaTestSupport.RequireNvrtc();
        var compilation = KernelCompiler.Compile(family, architecture, [.. KernelCompiler.DefaultOptions, .. AttentionKernels.CompileOptions(headDim)]);
        Assert.That(compilation.Cubin.Length, Is.GreaterThan(0));
        var reported = compilation.Kernels.Select(k => k.Kernel).ToHashSet();
        Assert.That(reported, Is.Not.Empty, $"ptxas reported no entry points for {family}.cu:\n{compilation.Log}");
        var entryPoints = EntryPointRegex().Matches(KernelSources.Source(family)).Select(m => m.Groups[1].Value);
        Assert.That(entryPoints, Is.SubsetOf(reported), $"{family}.cu for {architecture}, D={headDim}:\n{compilation.Log}");
        foreach (var entry in compilation.Kernels)
            TestContext.Out.WriteLine($"{architecture} D={headDim} {entry.Kernel}: {entry.Registers} registers, spill stores {entry.SpillStoreBytes} B, spill loads {entry.SpillLoadBytes} B");
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

    [GeneratedRegex(@"extern ""C"" __global__ void (?:__launch_bounds__\([^)]*\)\s+)?(\w+)\(")] private static partial Regex EntryPointRegex();
}
