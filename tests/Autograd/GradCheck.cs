using NUnit.Framework;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;

namespace StyleAlign.Tests.Autograd;

/// <summary>Marks a gradient-check test as covering an op class; the op-catalog test reads these.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class CoversOpAttribute(Type opType) : Attribute
{
    public Type OpType { get; } = opType;
}

/// <summary>
/// Float64 central-difference gradient check. The output is reduced against a fixed random projection, so
/// every output element contributes; analytic gradients come from Backward().
/// </summary>
public static class GradCheck
{
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] leaves, double eps = 1e-6, double atol = 1e-7, double rtol = 1e-5, Type[]? mustRecord = null)
    {
        foreach (var leaf in leaves)
        {
            if (leaf.DType != DType.F64) throw new ArgumentException("gradient checks run in F64");
            leaf.RequiresGrad = true;
            leaf.Grad = null;
        }
        using var scope = TensorScope.Begin();
        var output = f(leaves);
        if (mustRecord is not null)
        {
            var seen = RecordedOps(output);
            foreach (var t in mustRecord)
                Assert.That(seen, Does.Contain(t), $"the checked graph does not contain {t.Name}");
        }
        var projection = Tensor.RandN(output.Shape, new RandomGenerator(12345), dtype: DType.F64);
        (output * projection).Sum().Backward();

        for (var li = 0; li < leaves.Length; li++)
        {
            var leaf = leaves[li];
            var analytic = leaf.Grad?.ToDoubleArray() ?? new double[leaf.NumElements];
            var data = leaf.CpuStorage().Buffer<double>();
            var offsets = leaf.Layout.ElementOffsets();
            for (var i = 0; i < offsets.Length; i++)
            {
                var saved = data[offsets[i]];
                data[offsets[i]] = saved + eps;
                var plus = Objective(f, leaves, projection);
                data[offsets[i]] = saved - eps;
                var minus = Objective(f, leaves, projection);
                data[offsets[i]] = saved;
                var numeric = (plus - minus) / (2 * eps);
                var tol = atol + rtol * Math.Max(Math.Abs(numeric), Math.Abs(analytic[i]));
                if (Math.Abs(numeric - analytic[i]) > tol)
                    Assert.Fail($"input {li} element {i}: analytic {analytic[i]:G10} vs numeric {numeric:G10} (|diff| {Math.Abs(numeric - analytic[i]):G3} > tol {tol:G3})");
            }
        }
    }

    private static double Objective(Func<Tensor[], Tensor> f, Tensor[] leaves, Tensor projection)
    {
        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        return (f(leaves) * projection).Sum().Item();
    }

    private static HashSet<Type> RecordedOps(Tensor output)
    {
        var seen = new HashSet<Type>();
        var stack = new Stack<Tensor>([output]);
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        while (stack.Count > 0)
        {
            var t = stack.Pop();
            if (!visited.Add(t) || t.GradFn is null) continue;
            seen.Add(t.GradFn.GetType());
            foreach (var i in t.GradFn.Inputs) stack.Push(i);
        }
        return seen;
    }

    public static Tensor Random(RandomGenerator rng, params int[] shape) => Tensor.RandN(new Shape(shape), rng, dtype: DType.F64);

    /// <summary>Values bounded away from zero (for log, sqrt, div).</summary>
    public static Tensor Positive(RandomGenerator rng, params int[] shape) => Tensor.Rand(new Shape(shape), rng, 0.5, 2.0, DType.F64);
}
