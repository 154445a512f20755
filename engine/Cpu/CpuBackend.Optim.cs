using System.Numerics;
using System.Numerics.Tensors;
using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cpu;

// The optimizer's in-place passes: they read the gradients where they lie and allocate nothing.
public sealed partial class CpuBackend
{
    /// <summary>Elements per parallel task of the in-place passes.</summary>
    private const int OptimChunk = 1 << 14;

    /// <summary>
    /// In place, per element:  p −= lr·wd·p  (decoupled decay first);  m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;
    /// p −= lr · (m / bc₁) / (sqrt(v / bc₂) + eps). The arithmetic runs in float64 and is rounded once per store.
    /// </summary>
    public void AdamWStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWStepArgs args)
    {
        RequireFloat(param, "adamw");
        RequireFloat(grad, "adamw");
        RequireFloat(m, "adamw");
        RequireFloat(v, "adamw");
        foreach (var (t, name) in new[] { (grad, "grad"), (m, "m"), (v, "v") })
            if (t.Shape != param.Shape) throw new ArgumentException($"adamw: {name} {t.Shape} does not match parameter {param.Name ?? ""} {param.Shape}");
        foreach (var (t, name) in new[] { (param, "parameter"), (m, "m"), (v, "v") })
            if (!t.IsContiguous) throw new ArgumentException($"adamw updates {name} in place and needs it contiguous, got {t.Layout}");
        if (param.DType != m.DType || m.DType != v.DType)
            throw new ArgumentException($"adamw: parameter {param.DType}, m {m.DType} and v {v.DType} must share one dtype");
        if (param.DType == DType.F32)
        {
            if (grad.DType == DType.F32) AdamW<float, float>(param, grad, m, v, args);
            else AdamW<float, double>(param, grad, m, v, args);
        }
        else
        {
            if (grad.DType == DType.F32) AdamW<double, float>(param, grad, m, v, args);
            else AdamW<double, double>(param, grad, m, v, args);
        }
    }

    private static void AdamW<T, TGrad>(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWStepArgs args)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TGrad : unmanaged, IFloatingPointIeee754<TGrad>
    {
        var n = (int)param.NumElements;
        var p = InPlace<T>(param);
        var mv = InPlace<T>(m);
        var vv = InPlace<T>(v);
        using var g = Strided.Dense<TGrad>(grad);
        var decay = 1 - args.LearningRate * args.WeightDecay;
        Parallel.For(0, (n + OptimChunk - 1) / OptimChunk, c =>
        {
            var start = c * OptimChunk;
            var end = Math.Min(n, start + OptimChunk);
            for (var i = start; i < end; i++)
            {
                var gi = double.CreateTruncating(g[i]);
                var mi = args.Beta1 * double.CreateTruncating(mv[i]) + (1 - args.Beta1) * gi;
                var vi = args.Beta2 * double.CreateTruncating(vv[i]) + (1 - args.Beta2) * gi * gi;
                mv[i] = T.CreateTruncating(mi);
                vv[i] = T.CreateTruncating(vi);
                var decayed = double.CreateTruncating(p[i]) * decay;
                p[i] = T.CreateTruncating(decayed - args.LearningRate * (mi / args.BiasCorrection1) / (Math.Sqrt(vi / args.BiasCorrection2) + args.Epsilon));
            }
        });
    }

    /// <summary>Σx² over every element, summed in float64 across blocks of the tensor's own precision.</summary>
    public double SumOfSquares(Tensor x)
    {
        RequireFloat(x, "sum of squares");
        return x.DType == DType.F32 ? SumOfSquares<float>(x) : SumOfSquares<double>(x);
    }

    private static double SumOfSquares<T>(Tensor x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var data = Strided.Dense<T>(x);
        var n = data.Length;
        var partial = new double[(n + OptimChunk - 1) / OptimChunk];
        Parallel.For(0, partial.Length, c =>
        {
            var start = c * OptimChunk;
            partial[c] = double.CreateTruncating(TensorPrimitives.SumOfSquares<T>(data.AsSpan(start, Math.Min(OptimChunk, n - start))));
        });
        return partial.Sum();
    }

    /// <summary>x ← alpha·x in place, in the tensor's own precision.</summary>
    public void ScaleInPlace(Tensor x, double alpha)
    {
        RequireFloat(x, "in-place scale");
        if (!x.IsContiguous) throw new ArgumentException($"in-place scale needs a contiguous tensor, got {x.Layout}");
        if (x.DType == DType.F32) ScaleInPlace(InPlace<float>(x), (float)alpha);
        else ScaleInPlace(InPlace<double>(x), alpha);
    }

    private static void ScaleInPlace<T>(CpuBuffer<T> data, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = data.Length;
        Parallel.For(0, (n + OptimChunk - 1) / OptimChunk, c =>
        {
            var chunk = data.AsSpan(c * OptimChunk, Math.Min(OptimChunk, n - c * OptimChunk));
            TensorPrimitives.Multiply(chunk, alpha, chunk);
        });
    }

    /// <summary>The elements of a contiguous tensor, to be updated in place.</summary>
    private static CpuBuffer<T> InPlace<T>(Tensor x)
        where T : unmanaged => Strided.Elements<T>(x).Slice(x.Layout.Offset, checked((int)x.NumElements));
}
