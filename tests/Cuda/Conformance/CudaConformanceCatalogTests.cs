using System.Reflection;
using NUnit.Framework;
using StyleAlign.Engine.Autograd;

namespace StyleAlign.Tests.Cuda.Conformance;

[TestFixture, Category("Unit")]
public sealed class CudaConformanceCatalogTests
{
    /// <summary>Every op class in the engine has a CUDA-vs-CPU conformance case.</summary>
    [Test]
    public void EveryOpClassHasACudaConformanceCase()
    {
        var ops = typeof(Op).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(Op)) && !t.IsAbstract).ToHashSet();
        Assert.That(ops, Is.Not.Empty);
        var covered = typeof(CudaConformanceCatalogTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetCustomAttributes<CudaCaseForAttribute>())
            .Select(a => a.OpType)
            .ToHashSet();
        var missing = ops.Where(o => !covered.Contains(o)).Select(o => o.Name).Order().ToList();
        Assert.That(missing, Is.Empty, $"op classes without a CUDA conformance case: {string.Join(", ", missing)}");
    }
}
