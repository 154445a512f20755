using NUnit.Framework;
using StyleAlign.Engine.Cuda;

namespace StyleAlign.Tests.Cuda;

[TestFixture]
[Category("Unit")]
public sealed class KernelCacheKeyTests
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
}
