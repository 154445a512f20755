using NUnit.Framework;
using System.Reflection;
using StyleAlign.Engine.Autograd;

namespace StyleAlign.Tests.Autograd;

[TestFixture, Category("Unit")]
public class OpCatalogTests
{
    /// <summary>Every differentiable op class in the engine has at least one float64 gradient check.</summary>
    [Test]
    public void EveryOpClassHasAGradientCheck()
    {
        var ops = typeof(Op).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(Op)) && !t.IsAbstract).ToHashSet();
        Assert.That(ops, Is.Not.Empty);
        var covered = typeof(OpCatalogTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .SelectMany(m => m.GetCustomAttributes<CoversOpAttribute>())
            .Select(a => a.OpType)
            .ToHashSet();
        var missing = ops.Where(o => !covered.Contains(o)).Select(o => o.Name).Order().ToList();
        Assert.That(missing, Is.Empty, $"op classes without a gradient check: {string.Join(", ", missing)}");
    }
}
