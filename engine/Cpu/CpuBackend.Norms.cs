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
        return x.DType == DType.F32 ? RmsNormRows(x, weight, rows, d, (float)eps) : RmsNormRows(x, weight, rows, d, eps);
    }

    public (Tensor GradX, Tensor GradWeight) RmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor gradY)
    {
        var (rows, d) = NormRows(x, weight, "rmsnorm backward");
        RequireSameShape(x, gradY, "rmsnorm backward");
        return x.DType == DType.F32 ? RmsNormGradRows<float>(x, weight, invRms, gradY, rows, d) : RmsNormGradRows<double>(x, weight, invRms, gradY, rows, d);
    }

    public (Tensor Output, Tensor Mean, Tensor InvStd) LayerNorm(Tensor x, Tensor weight, Tensor bias, double eps)
    {
        var (rows, d) = NormRows(x, weight, "layernorm");
        if (bias.Shape != weight.Shape || bias.DType != x.DType) throw new ArgumentException($"layernorm: bias {bias.Shape} {bias.DType} must match weight {weight.Shape} {x.DType}");
        return x.DType == DType.F32 ? LayerNormRows(x, weight, bias, rows, d, (float)eps) : LayerNormRows(x, weight, bias, rows, d, eps);
    }

    public (Tensor GradX, Tensor GradWeight, Tensor GradBias) LayerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor gradY)
    {
        var (rows, d) = NormRows(x, weight, "layernorm backward");
        RequireSameShape(x, gradY, "layernorm backward");
        return x.DType == DType.F32
            ? LayerNormGradRows<float>(x, weight, mean, invStd, gradY, rows, d)
            : LayerNormGradRows<double>(x, weight, mean, invStd, gradY, rows, d);
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
    private static (Tensor Y, Tensor InvRms) RmsNormRows<T>(Tensor input, Tensor weight, int rows, int d, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var x = Strided.Dense<T>(input);
        using var w = Strided.Dense<T>(weight);
        var output = Output<T>(input.Shape, input.DType, out var y);
        var stats = Output<T>(new Shape(rows), input.DType, out var invRms);
        Parallel.For(0, rows, ParallelChunk(x.Length), r =>
        {
            ReadOnlySpan<T> xr = x.AsSpan(r * d, d);
            var yr = y.AsSpan(r * d, d);
            var rstd = T.One / T.Sqrt(TensorPrimitives.SumOfSquares(xr) / T.CreateTruncating(d) + eps);
            invRms[r] = rstd;
            TensorPrimitives.Multiply(xr, rstd, yr);
            TensorPrimitives.Multiply<T>(yr, w, yr);
        });
        return (output, stats);
    }

    // With u = w ⊙ g:  dx = r·u − x · r³/D · Σ(u ⊙ x);  dw = Σ_rows g ⊙ x · r.
    private static (Tensor GradX, Tensor GradW) RmsNormGradRows<T>(Tensor input, Tensor weight, Tensor stats, Tensor gradY, int rows, int d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var x = Strided.Dense<T>(input);
        using var w = Strided.Dense<T>(weight);
        using var invRms = Strided.Dense<T>(stats);
        using var g = Strided.Dense<T>(gradY);
        var gradX = Output<T>(input.Shape, input.DType, out var gx);
        using var scratch = Output<T>(input.Shape, input.DType, out var partials);
        Parallel.For(0, rows, ParallelChunk(x.Length), r =>
        {
            ReadOnlySpan<T> xr = x.AsSpan(r * d, d);
            ReadOnlySpan<T> gr = g.AsSpan(r * d, d);
            var dx = gx.AsSpan(r * d, d);
            var rstd = invRms[r];
            var u = partials.AsSpan(r * d, d);
            TensorPrimitives.Multiply<T>(gr, w, u);
            var dot = TensorPrimitives.Dot<T>(u, xr);
            var c = rstd * rstd * rstd * dot / T.CreateTruncating(d);
            TensorPrimitives.Multiply<T>(u, rstd, dx);
            TensorPrimitives.MultiplyAdd(xr, -c, dx, dx);
            // The weight gradient's per-row term reuses the scratch row: g ⊙ x · r.
            TensorPrimitives.Multiply(gr, xr, u);
            TensorPrimitives.Multiply<T>(u, rstd, u);
        });
        return (gradX, SumRows(partials, rows, d, weight.Shape, input.DType));
    }

    // y = (x − μ) · r ⊙ w + b, r = 1/sqrt(var + eps) with the biased variance.
    private static (Tensor Y, Tensor Mean, Tensor InvStd) LayerNormRows<T>(Tensor input, Tensor weight, Tensor bias, int rows, int d, T eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var x = Strided.Dense<T>(input);
        using var w = Strided.Dense<T>(weight);
        using var b = Strided.Dense<T>(bias);
        var output = Output<T>(input.Shape, input.DType, out var y);
        var means = Output<T>(new Shape(rows), input.DType, out var mean);
        var stats = Output<T>(new Shape(rows), input.DType, out var invStd);
        var n = T.CreateTruncating(d);
        Parallel.For(0, rows, ParallelChunk(x.Length), r =>
        {
            ReadOnlySpan<T> xr = x.AsSpan(r * d, d);
            var yr = y.AsSpan(r * d, d);
            var mu = TensorPrimitives.Sum(xr) / n;
            TensorPrimitives.Subtract(xr, mu, yr);
            var rstd = T.One / T.Sqrt(TensorPrimitives.SumOfSquares<T>(yr) / n + eps);
            mean[r] = mu;
            invStd[r] = rstd;
            TensorPrimitives.Multiply<T>(yr, rstd, yr);
            TensorPrimitives.FusedMultiplyAdd<T>(yr, w, b, yr);
        });
        return (output, means, stats);
    }

    // With x̂ = (x − μ)·r and u = w ⊙ g:  dx = r · (u − mean(u) − x̂ · mean(u ⊙ x̂));  dw = Σ g ⊙ x̂;  db = Σ g.
    private static (Tensor GradX, Tensor GradW, Tensor GradB) LayerNormGradRows<T>(Tensor input, Tensor weight, Tensor means, Tensor stats, Tensor gradY, int rows, int d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var x = Strided.Dense<T>(input);
        using var w = Strided.Dense<T>(weight);
        using var mean = Strided.Dense<T>(means);
        using var invStd = Strided.Dense<T>(stats);
        using var g = Strided.Dense<T>(gradY);
        var gradX = Output<T>(input.Shape, input.DType, out var gx);
        using var scratch = Output<T>(input.Shape, input.DType, out var wTerms);
        var n = T.CreateTruncating(d);
        Parallel.For(0, rows, ParallelChunk(x.Length), r =>
        {
            ReadOnlySpan<T> xr = x.AsSpan(r * d, d);
            ReadOnlySpan<T> gr = g.AsSpan(r * d, d);
            var dx = gx.AsSpan(r * d, d);
            var xhat = wTerms.AsSpan(r * d, d);
            var rstd = invStd[r];
            TensorPrimitives.Subtract(xr, mean[r], xhat);
            TensorPrimitives.Multiply<T>(xhat, rstd, xhat);
            TensorPrimitives.Multiply<T>(gr, w, dx);
            var meanU = TensorPrimitives.Sum<T>(dx) / n;
            var meanUx = TensorPrimitives.Dot<T>(dx, xhat) / n;
            TensorPrimitives.Subtract<T>(dx, meanU, dx);
            TensorPrimitives.MultiplyAdd<T>(xhat, -meanUx, dx, dx);
            TensorPrimitives.Multiply<T>(dx, rstd, dx);
            TensorPrimitives.Multiply(xhat, gr, xhat);
        });
        return (gradX, SumRows(wTerms, rows, d, weight.Shape, input.DType), SumRows(g, rows, d, weight.Shape, input.DType));
    }

    /// <summary>Column sums of a dense [rows, d] buffer, as a new tensor of the given shape.</summary>
    private static Tensor SumRows<T>(CpuBuffer<T> data, int rows, int d, Shape shape, DType dtype)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = Output<T>(shape, dtype, out var sum, zero: true);
        for (var r = 0; r < rows; r++) TensorPrimitives.Add<T>(sum, data.AsSpan(r * d, d), sum);
        return result;
    }
}
