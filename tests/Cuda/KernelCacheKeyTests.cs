using System.Text.RegularExpressions;
using NUnit.Framework;
using StyleAlign.Engine.Cuda;

namespace StyleAlign.Tests.Cuda;

[TestFixture]
[Category("Unit")]
public sealed partial class KernelCacheKeyTests
{
    private static readonly KeyValuePair<string, string>[] Headers = [new("common.cuh", "#pragma once\n")];
    private static readonly Version Nvrtc118 = new(11, 8);

    private static string Key(string source = "k", string[]? options = null, string arch = "sm_80", Version? nvrtc = null, KeyValuePair<string, string>[]? headers = null) =>
        KernelDiskCache.ComputeKey(source, headers ?? Headers, options ?? ["--std=c++17"], arch, nvrtc ?? Nvrtc118);

    [Test]
    public void KeyIsStableAndChangesWithEveryInput()
    {
        var baseline = Key();
        Assert.That(Key(), Is.EqualTo(baseline));
        Assert.That(baseline, Does.Match("^[0-9a-f]{64}$"));
        Assert.That(Key(options: ["--std=c++17", "-lineinfo"]), Is.Not.EqualTo(baseline), "options");
        Assert.That(Key(arch: "sm_90"), Is.Not.EqualTo(baseline), "architecture");
        Assert.That(Key(source: "k2"), Is.Not.EqualTo(baseline), "source");
        Assert.That(Key(nvrtc: new Version(12, 4)), Is.Not.EqualTo(baseline), "NVRTC version");
        Assert.That(Key(headers: [new("common.cuh", "#pragma once\n// changed\n")]), Is.Not.EqualTo(baseline), "header text");
    }

    [Test]
    public void OpCodeEnumsMirrorTheKernelSources()
    {
        AssertMirrors<UnaryKernelOp>("elementwise", "UnaryOp", "U_");
        AssertMirrors<BinaryKernelOp>("elementwise", "BinaryOp", "B_");
        AssertMirrors<CompareKernelOp>("elementwise", "CompareOp", "C_");
        AssertMirrors<ReduceKernelOp>("reduce", "ReduceOp", "R_");
    }

    private static void AssertMirrors<TEnum>(string family, string enumName, string prefix) where TEnum : struct, Enum
    {
        var source = KernelSources.Source(family);
        var body = Regex.Match(source, $@"enum {enumName}\s*\{{([^}}]*)\}}").Groups[1].Value;
        var fromSource = Regex.Matches(body, $@"{prefix}(\w+)\s*=\s*(\d+)")
            .ToDictionary(m => m.Groups[1].Value.Replace("_", "").ToLowerInvariant(), m => int.Parse(m.Groups[2].Value));
        var fromEnum = Enum.GetValues<TEnum>().ToDictionary(v => v.ToString().ToLowerInvariant().Replace("sumofsquares", "sumsq"), v => Convert.ToInt32(v));
        Assert.That(fromEnum, Is.EquivalentTo(fromSource), $"{typeof(TEnum).Name} vs enum {enumName} in {family}.cu");
    }

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

    [Test]
    public void DeviceSpecParsesCudaNames()
    {
        Assert.That(CudaDeviceSpec.Parse("cuda"), Is.EqualTo(0));
        Assert.That(CudaDeviceSpec.Parse("CUDA:3"), Is.EqualTo(3));
        Assert.That(() => CudaDeviceSpec.Parse("cpu"), Throws.TypeOf<FormatException>().With.Message.Contains("cuda:N"));
        Assert.That(CudaDeviceSpec.TryParse("cuda:-1", out _), Is.False);
    }

    [Test]
    public unsafe void KernelArgsStoreEachValueAtItsNaturalAlignment()
    {
        var layout = StridedLayoutArg.Create([2, 3], [3, 1]);
        var args = new KernelArgs().Int(7).Long(-5).Float(1.5f).Value(layout).Pointer(0xABCDEFUL);
        Assert.That(args.Count, Is.EqualTo(5));
        args.WithParameterPointers(array =>
        {
            var pointers = (IntPtr*)array;
            Assert.That(*(int*)pointers[0], Is.EqualTo(7));
            Assert.That((long)pointers[1] % 8, Is.Zero);
            Assert.That(*(long*)pointers[1], Is.EqualTo(-5));
            Assert.That(*(float*)pointers[2], Is.EqualTo(1.5f));
            var copied = *(StridedLayoutArg*)pointers[3];
            Assert.That((copied.Rank, copied.Shape[0], copied.Shape[1], copied.Strides[0], copied.Strides[1]), Is.EqualTo((2, 2L, 3L, 3L, 1L)));
            Assert.That(*(ulong*)pointers[4], Is.EqualTo(0xABCDEFUL));
        });
    }

    [Test]
    public void StridedLayoutArgMatchesTheCLayout()
    {
        Assert.That(System.Runtime.CompilerServices.Unsafe.SizeOf<StridedLayoutArg>(), Is.EqualTo(8 + 8 * 8 * 2));
        Assert.That(() => StridedLayoutArg.Create(new long[9], new long[9]), Throws.ArgumentException.With.Message.Contains("at most 8"));
    }
}
