using System.Numerics;
using System.Numerics.Tensors;
using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cpu;

// RMSNorm and LayerNorm over the last dim, one row per task. The statistics are kept in the input precision
// (the CPU computes in F32 or F64) and returned as [rows] vectors for the backward pass.
public sealed partial class CpuBackend
{
    public (Tensor Output, Tensor InvRms) RmsNorm(Tensor x, Tensor weight, double eps)
    {
        var (rows, d) = NormRows(x, weight, "rmsnorm");
        if (x.DType == DType.F32)
        {
            var (y, r) = RmsNormRows(Strided.Dense<float>(x), Strided.Dense<float>(weight), rows, d, (float)eps);
            return (Wrap(y, x.Shape), Wrap(r, new Shape(rows)));
        }
        var (y64, r64) = RmsNormRows(Strided.Dense<double>(x), Strided.Dense<double>(weight), rows, d, eps);
        return (Wrap(y64, x.Shape), Wrap(r64, new Shape(rows)));
    }

    public (Tensor GradX, Tensor GradWeight) RmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor gradY)
    {
        var (rows, d) = NormRows(x, weight, "rmsnorm backward");
        RequireSameShape(x, gradY, "rmsnorm backward");
        if (x.DType == DType.F32)
        {
            var (gx, gw) = RmsNormGradRows(Strided.Dense<float>(x), Strided.Dense<float>(weight), Strided.Dense<float>(invRms), Strided.Dense<float>(gradY), rows, d);
            return (Wrap(gx, x.Shape), Wrap(gw, weight.Shape));
        }
        var (gx64, gw64) = RmsNormGradRows(Strided.Dense<double>(x), Strided.Dense<double>(weight), Strided.Dense<double>(invRms), Strided.Dense<double>(gradY), rows, d);
        return (Wrap(gx64, x.Shape), Wrap(gw64, weight.Shape));
    }

    public (Tensor Output, Tensor Mean, Tensor InvStd) LayerNorm(Tensor x, Tensor weight, Tensor bias, double eps)
    {
        var (rows, d) = NormRows(x, weight, "layernorm");
        if (bias.Shape != weight.Shape || bias.DType != x.DType) throw new ArgumentException($"layernorm: bias {bias.Shape} {bias.DType} must match weight {weight.Shape} {x.DType}");
        if (x.DType == DType.F32)
        {
            var (y, mu, r) = LayerNormRows(Strided.Dense<float>(x), Strided.Dense<float>(weight), Strided.Dense<float>(bias), rows, d, (float)eps);
            return (Wrap(y, x.Shape), Wrap(mu, new Shape(rows)), Wrap(r, new Shape(rows)));
        }
        var (y64, mu64, r64) = LayerNormRows(Strided.Dense<double>(x), Strided.Dense<double>(weight), Strided.Dense<double>(bias), rows, d, eps);
        return (Wrap(y64, x.Shape), Wrap(mu64, new Shape(rows)), Wrap(r64, new Shape(rows)));
    }

    public (Tensor GradX, Tensor GradWeight, Tensor GradBias) LayerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor gradY)
    {
        var (rows, d) = NormRows(x, weight, "layernorm backward");
        RequireSameShape(x, gradY, "layernorm backward");
        if (x.DType == DType.F32)
        {
            var (gx, gw, gb) = LayerNormGradRows(Strided.Dense<float>(x), Strided.Dense<float>(weight), Strided.Dense<float>(mean), Strided.Dense<float>(invStd), Strided.Dense<float>(gradY), rows, d);
            return (Wrap(gx, x.Shape), Wrap(gw, weight.Shape), Wrap(gb, weight.Shape));
        }
        var (gx64, gw64, gb64) = LayerNormGradRows(Strided.Dense<double>(x), Strided.Dense<double>(weight), Strided.Dense<double>(mean), Strided.Dense<double>(invStd), Strided.Dense<double>(gradY), rows, d);
        return (Wrap(gx64, x.Shape), Wrap(gw64, weight.Shape), Wrap(gb64, weight.Shape));
    }

    private static (int Rows, int D) NormRows(Tensor x, Tensor weight, string op)
    {
        RequireFloat(x, op);
        RequireFloat(weight, op);
        if (x.Rank == 0) throw new ArgumentException($"{op} needs at least one dim");
        var d = x.Shape[^1];
        if (weight.Rank != 1 || weight.Shape[0] != d) throw new ArgumentException($"{op}: weight has shape {weight.Shape}, expected [{d}] for input {x.Shape}");
        if (weight.DType != x.DType) throw new ArgumentException($"{op}: weight is {weight.DType}, input is {x.DType}");
        return ((int)(x.NumElements / Math.Max(d, 1)), d);
    }

    private static void RequireSameShape(Tensor x, Tensor g, string op)
    {
        if (g.Shape != x.Shape || g.DType != x.DType) throw new ArgumentException($"{op}: gradient {g.Shape} {g.DType} does not match input {x.Shape} {x.DType}");
    }

    // y = w ⊙ (x · r), r = 1/sqrt(mean(x²) + eps).
    private static (T[] Y, T[] InvRms) RmsNormRows<T>(T[] x, T[] w, int rows, int d, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[x.Length];
        var invRms = new T[rows];
        Parallel.For(0, rows, ParallelChunk(x.Length), r =>
        {
            var xr = new ReadOnlySpan<T>(x, r * d, d);
            var yr = new Span<T>(y, r * d, d);
            var rstd = T.One / T.Sqrt(TensorPrimitives.SumOfSquares(xr) / T.CreateTruncating(d) + eps);
            invRms[r] = rstd;
            TensorPrimitives.Multiply(xr, rstd, yr);
            TensorPrimitives.Multiply(yr, w, yr);
        });
        return (y, invRms);
    }

    // With u = w ⊙ g:  dx = r·u − x · r³/D · Σ(u ⊙ x);  dw = Σ_rows g ⊙ x · r.
    private static (T[] GradX, T[] GradW) RmsNormGradRows<T>(T[] x, T[] w, T[] invRms, T[] g, int rows, int d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gx = new T[x.Length];
        var partials = new T[rows * d];
        Parallel.For(0, rows, ParallelChunk(x.Length), r =>
        {
            var xr = new ReadOnlySpan<T>(x, r * d, d);
            var gr = new ReadOnlySpan<T>(g, r * d, d);
            var dx = new Span<T>(gx, r * d, d);
            var rstd = invRms[r];
            var u = new Span<T>(partials, r * d, d);
            TensorPrimitives.Multiply(gr, w, u);
            var dot = TensorPrimitives.Dot<T>(u, xr);
            var c = rstd * rstd * rstd * dot / T.CreateTruncating(d);
            TensorPrimitives.Multiply<T>(u, rstd, dx);
            TensorPrimitives.MultiplyAdd(xr, -c, dx, dx);
            // The weight gradient's per-row term reuses the scratch row: g ⊙ x · r.
            TensorPrimitives.Multiply(gr, xr, u);
            TensorPrimitives.Multiply<T>(u, rstd, u);
        });
        return (gx, SumRows(partials, rows, d));
    }

    // y = (x − μ) · r ⊙ w + b, r = 1/sqrt(var + eps) with the biased variance.
    private static (T[] Y, T[] Mean, T[] InvStd) LayerNormRows<T>(T[] x, T[] w, T[] b, int rows, int d, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[x.Length];
        var mean = new T[rows];
        var invStd = new T[rows];
        var n = T.CreateTruncating(d);
        Parallel.For(0, rows, ParallelChunk(x.Length), r =>
        {
            var xr = new ReadOnlySpan<T>(x, r * d, d);
            var yr = new Span<T>(y, r * d, d);
            var mu = TensorPrimitives.Sum(xr) / n;
            TensorPrimitives.Subtract(xr, mu, yr);
            var rstd = T.One / T.Sqrt(TensorPrimitives.SumOfSquares<T>(yr) / n + eps);
            mean[r] = mu;
            invStd[r] = rstd;
            TensorPrimitives.Multiply<T>(yr, rstd, yr);
            TensorPrimitives.FusedMultiplyAdd<T>(yr, w, b, yr);
        });
        return (y, mean, invStd);
    }

    // With x̂ = (x − μ)·r and u = w ⊙ g:  dx = r · (u − mean(u) − x̂ · mean(u ⊙ x̂));  dw = Σ g ⊙ x̂;  db = Σ g.
    private static (T[] GradX, T[] GradW, T[] GradB) LayerNormGradRows<T>(T[] x, T[] w, T[] mean, T[] invStd, T[] g, int rows, int d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gx = new T[x.Length];
        var wTerms = new T[rows * d];
        var n = T.CreateTruncating(d);
        Parallel.For(0, rows, ParallelChunk(x.Length), r =>
        {
            var xr = new ReadOnlySpan<T>(x, r * d, d);
            var gr = new ReadOnlySpan<T>(g, r * d, d);
            var dx = new Span<T>(gx, r * d, d);
            var xhat = new Span<T>(wTerms, r * d, d);
            var rstd = invStd[r];
            TensorPrimitives.Subtract(xr, mean[r], xhat);
            TensorPrimitives.Multiply<T>(xhat, rstd, xhat);
            TensorPrimitives.Multiply(gr, w, dx);
            var meanU = TensorPrimitives.Sum<T>(dx) / n;
            var meanUx = TensorPrimitives.Dot<T>(dx, xhat) / n;
            TensorPrimitives.Subtract<T>(dx, meanU, dx);
            TensorPrimitives.MultiplyAdd<T>(xhat, -meanUx, dx, dx);
            TensorPrimitives.Multiply<T>(dx, rstd, dx);
            TensorPrimitives.Multiply(xhat, gr, xhat);
        });
        return (gx, SumRows(wTerms, rows, d), SumRows(g, rows, d));
    }

    /// <summary>Column sums of a dense [rows, d] array.</summary>
    private static T[] SumRows<T>(T[] data, int rows, int d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sum = new T[d];
        for (var r = 0; r < rows; r++) TensorPrimitives.Add(sum, new ReadOnlySpan<T>(data, r * d, d), sum);
        return sum;
    }
}
