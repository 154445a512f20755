using System.Text.RegularExpressions;
using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;

namespace StyleAlign.Tests.Cuda;

/// <summary>The op codes the host passes to the multi-op kernels match the enums in the kernel sources and the engine's op kinds.</summary>
[TestFixture, Category("Unit")]
public sealed partial class KernelOpCodeTests
{
    [Test]
    public void OpCodeEnumsMirrorTheKernelSources()
    {
        AssertMirrors<BinaryKernelOp>("elementwise", "BinaryOp", "B_");
        AssertMirrors<CompareKernelOp>("elementwise", "CompareOp", "C_");
        AssertMirrors<ReduceKernelOp>("reduce", "ReduceOp", "R_");
    }

    [Test]
    public void KernelOpCodesFollowTheEngineEnums()
    {
        foreach (var kind in Enum.GetValues<BinaryKind>().Where(k => !k.IsComparison()))
            Assert.That(CudaBackend.BinaryOp(kind).ToString(), Is.EqualTo(kind.ToString()));
        var compare = Enum.GetValues<BinaryKind>().Where(k => k.IsComparison()).Select(k => CudaBackend.CompareOp(k)).ToArray();
        Assert.That(compare, Is.EquivalentTo(Enum.GetValues<CompareKernelOp>()));
        foreach (var kind in Enum.GetValues<ReduceKind>())
            Assert.That(CudaBackend.ReduceOp(kind).ToString(), Is.EqualTo(kind.ToString()));
    }

    [Test]
    public void TensorUnaryOpCodesAreUnaryKindsValues()
    {
        // tensor.cu takes UnaryKind's values as its op codes: compare the enum in the source with UnaryKind.
        var source = KernelSources.Source("tensor");
        var body = TensorUnaryEnumRegex().Match(source).Groups[1].Value;
        var codes = TensorUnaryCodeRegex().Matches(body).ToDictionary(m => m.Groups[1].Value.Replace("_", ""), m => int.Parse(m.Groups[2].Value));
        var expected = Enum.GetValues<UnaryKind>().ToDictionary(k => k.ToString().ToUpperInvariant(), k => (int)k);
        Assert.That(codes, Is.EquivalentTo(expected));
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

    [GeneratedRegex(@"enum TensorUnaryOp\s*\{([^}]*)\}")] private static partial Regex TensorUnaryEnumRegex();
    [GeneratedRegex(@"T_(\w+)\s*=\s*(\d+)")] private static partial Regex TensorUnaryCodeRegex();
}
