using System.Text.RegularExpressions;
using NUnit.Framework;
using StyleAlign.Engine.Cuda;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Cuda;

[TestFixture]
[Category("KernelCompile")]
[Parallelizable(ParallelScope.Children)] // NVRTC is single-threaded; two compilations at once halve the wall time
public sealed partial class KernelCompileTests
{
    private static IEnumerable<TestCaseData> FamiliesAndArchitectures() =>
        from family in KernelSources.Families
        from arch in CudaTestSupport.Architectures
        select new TestCaseData(family, arch).SetName($"Compiles_{family}_{arch}");

    [TestCaseSource(nameof(FamiliesAndArchitectures))]
    public void EveryFamilyCompilesToCubinWithAReportPerEntryPoint(string family, string architecture)
    {
        CudaTestSupport.RequireNvrtc();
        var compilation = KernelCompiler.Compile(family, architecture);

        Assert.That(compilation.Cubin.Take(4).ToArray(), Is.EqualTo(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }),
            "NVRTC must emit CUBIN (an ELF image), not PTX");
        var entryPoints = KernelSignatures.Of(KernelSources.Source(family)).Keys;
        var reported = compilation.Kernels.Select(k => k.Kernel).ToHashSet();
        Assert.That(reported, Is.Not.Empty, $"ptxas reported no entry points for {family}:\n{compilation.Log}");
        Assert.That(reported, Is.EquivalentTo(entryPoints), "the entry points the source declares, macros expanded");
        Assert.That(reported, Has.All.Matches<string>(name => EntryNameRegex().IsMatch(name)), "entry points are family_op_dtype in lower case");
        Assert.That(compilation.Kernels.Where(k => k.SpillStoreBytes > 0).Select(k => k.Kernel), Is.Empty, "no kernel spills registers");
    }

    [Test]
    public void EveryFamilyOpensWithACommentAndIncludesNoToolkitHeader()
    {
        foreach (var family in KernelSources.Families)
        {
            var source = KernelSources.Source(family);
            Assert.That(source.TrimStart(), Does.StartWith("//"), $"{family}.cu opens with a comment on what it computes");
            var includes = IncludeRegex().Matches(source).Select(m => m.Groups[1].Value);
            Assert.That(includes, Is.SubsetOf(KernelSources.Headers.Select(h => h.Key)), $"{family}.cu includes only embedded headers");
        }
    }

    [Test]
    public void ArchitectureMustBeARealSmTarget()
    {
        Assert.That(KernelCompiler.ValidateArchitecture("sm_90"), Is.EqualTo("sm_90"));
        var error = Assert.Throws<ArgumentException>(() => KernelCompiler.ValidateArchitecture("compute_80"));
        Assert.That(error!.Message, Does.Contain("sm_XY"));
    }

    [Test]
    public void BrokenKernelRaisesAnNvrtcErrorCarryingTheWholeLog()
    {
        CudaTestSupport.RequireNvrtc();
        const string source = "#include \"common.cuh\"\nextern \"C\" __global__ void broken_op_f32(float* x) { x[0] = undeclared_value; }\n";
        var error = Assert.Throws<CudaException>(() => KernelCompiler.CompileSource("broken", source, "sm_80"));
        Assert.That(error!.ErrorName, Is.EqualTo("NVRTC_ERROR_COMPILATION"));
        Assert.That(error.CompileLog, Does.Contain("undeclared_value"));
        Assert.That(error.Message, Does.Contain("nvrtcCompileProgram").And.Contain("undeclared_value").And.Contain("--gpu-architecture=sm_80"));
    }

    [Test]
    public void CorruptCacheFileIsDetectedAndRebuilt()
    {
        CudaTestSupport.RequireNvrtc();
        using var temp = new TempDirectory();
        var directory = temp.Path;
        var first = KernelDiskCache.GetOrCompile("softmax", "sm_80", directory);
        Assert.That(first.Origin, Is.EqualTo(KernelImageOrigin.Compiled));
        var second = KernelDiskCache.GetOrCompile("softmax", "sm_80", directory);
        Assert.That(second.Origin, Is.EqualTo(KernelImageOrigin.Cache));
        Assert.That(second.Cubin, Is.EqualTo(first.Cubin));

        var bytes = File.ReadAllBytes(first.CachePath);
        bytes[^100] ^= 0x5A; // damage the CUBIN body: its SHA-256 no longer matches the header
        File.WriteAllBytes(first.CachePath, bytes);
        Assert.That(KernelDiskCache.TryRead(first.CachePath, out _), Is.False);
        var rebuilt = KernelDiskCache.GetOrCompile("softmax", "sm_80", directory);
        Assert.That(rebuilt.Origin, Is.EqualTo(KernelImageOrigin.Rebuilt));
        Assert.That(rebuilt.Cubin, Is.EqualTo(first.Cubin));

        File.WriteAllBytes(first.CachePath, bytes.AsSpan(0, bytes.Length / 2).ToArray()); // truncated write
        Assert.That(KernelDiskCache.GetOrCompile("softmax", "sm_80", directory).Origin, Is.EqualTo(KernelImageOrigin.Rebuilt));
        Assert.That(KernelDiskCache.GetOrCompile("softmax", "sm_80", directory).Origin, Is.EqualTo(KernelImageOrigin.Cache));
        Assert.That(Directory.GetFiles(directory, "*.tmp"), Is.Empty, "atomic writes leave no temporary files");
    }

    [GeneratedRegex(@"^[a-z0-9]+(_[a-z0-9]+)+$")] private static partial Regex EntryNameRegex();
    [GeneratedRegex(@"#include\s+[""<]([^"">]+)["">]")] private static partial Regex IncludeRegex();
}
