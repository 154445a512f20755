using System.Reflection;
using NUnit.Framework;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;
using StyleAlign.Engine.FusedOps.LogProbs;

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

    /// <summary>
    /// Runs every conformance case with the CPU standing in for the device (F32, inputs rounded as the device would
    /// hold them), so a case that is itself wrong — a bad index, a shape the CPU refuses, a missing gradient — fails
    /// here rather than on the first GPU run.
    /// </summary>
    [Test]
    public void EveryConformanceCaseRunsWithTheCpuStandingInForTheDevice()
    {
        var cases = 0;
        var methods = typeof(CudaConformanceCatalogTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods())
            .Where(m => m.GetCustomAttributes<CudaCaseForAttribute>().Any());
        Conformance.CpuStandsInForDevice = true;
        try
        {
            foreach (var method in methods)
                foreach (var arguments in CaseArguments(method))
                {
                    TestContext.Progress.WriteLine($"stand-in {method.DeclaringType!.Name}.{method.Name}({string.Join(", ", arguments)})");
                    var fixture = Activator.CreateInstance(method.DeclaringType!);
                    try
                    {
                        method.Invoke(fixture, arguments);
                    }
                    catch (TargetInvocationException e) when (e.InnerException is not null)
                    {
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                    }
                    cases++;
                }
        }
        finally
        {
            Conformance.CpuStandsInForDevice = false;
        }
        Assert.That(cases, Is.GreaterThan(100));
    }

    private static IEnumerable<object?[]> CaseArguments(MethodInfo method)
    {
        var source = method.GetCustomAttribute<TestCaseSourceAttribute>();
        if (source is null)
        {
            yield return [];
            yield break;
        }
        var type = source.SourceType ?? method.DeclaringType!;
        const BindingFlags any = BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic;
        var items = type.GetField(source.SourceName!, any)?.GetValue(null)
            ?? type.GetMethod(source.SourceName!, any)?.Invoke(null, null)
            ?? throw new InvalidOperationException($"{method.Name}: case source {type.Name}.{source.SourceName} not found");
        foreach (var item in (System.Collections.IEnumerable)items)
            yield return item is TestCaseData data ? data.Arguments : [item];
    }
}
