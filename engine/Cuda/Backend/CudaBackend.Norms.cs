using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cuda.Backend;

// RMSNorm / LayerNorm over the last dim (statistics fp32 [rows], saved for the backward pass).
public sealed partial class CudaBackend
{
    /// <summary>Rows summed by one block of the weight-gradient partial kernel; the partials are then added in order.</summary>
    private const long NormRowsPerChunk = 256;

    public (Tensor Output, Tensor InvRms) RmsNorm(Tensor x, Tensor weight, double eps)
    {
        KernelFamily.FloatSuffix(x.DType, "rmsnorm");
        var (rows, c) = NormRows(x, weight, "rmsnorm");
        using var scratch = new Scratch(this);
        var xd = scratch.Dense(x);
        var wd = scratch.Dense(weight);
        var y = NewTensor(x.Shape, x.DType);
        var invRms = NewTensor(new Shape((int)rows), DType.F32);
        if (rows > 0 && c > 0) _norms.RmsNormForward(x.DType, rows, c, Address(xd), Address(wd), (float)eps, Address(y), Address(invRms));
        return (y, invRms);
    }

    public (Tensor GradX, Tensor GradWeight) RmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor gradY)
    {
        KernelFamily.FloatSuffix(x.DType, "rmsnorm backward");
        var (rows, c) = NormRows(x, weight, "rmsnorm backward");
        RequireSameShape(x, gradY, "rmsnorm backward");
        using var scratch = new Scratch(this);
        var xd = scratch.Dense(x);
        var wd = scratch.Dense(weight);
        var gd = scratch.Dense(gradY);
        var rstd = Statistic(scratch, invRms, rows, "invRms");
        var gx = NewTensor(x.Shape, x.DType);
        if (rows > 0 && c > 0) _norms.RmsNormBackward(x.DType, rows, c, Address(xd), Address(wd), Address(rstd), Address(gd), Address(gx));
        var gw = ParameterGradients(scratch, xd, null, rstd, gd, rows, c, withBias: false).Weight;
        return (gx, gw);
    }

    public (Tensor Output, Tensor Mean, Tensor InvStd) LayerNorm(Tensor x, Tensor weight, Tensor bias, double eps)
    {
        KernelFamily.FloatSuffix(x.DType, "layernorm");
        var (rows, c) = NormRows(x, weight, "layernorm");
        if (bias.Shape != weight.Shape || bias.DType != x.DType)
            throw new ArgumentException($"layernorm: bias {bias.Shape} {bias.DType} must match weight {weight.Shape} {x.DType}");
        using var scratch = new Scratch(this);
        var xd = scratch.Dense(x);
        var wd = scratch.Dense(weight);
        var bd = scratch.Dense(bias);
        var y = NewTensor(x.Shape, x.DType);
        var mean = NewTensor(new Shape((int)rows), DType.F32);
        var invStd = NewTensor(new Shape((int)rows), DType.F32);
        if (rows > 0 && c > 0) _norms.LayerNormForward(x.DType, rows, c, Address(xd), Address(wd), Address(bd), (float)eps, Address(y), Address(mean), Address(invStd));
        return (y, mean, invStd);
    }

    public (Tensor GradX, Tensor GradWeight, Tensor GradBias) LayerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor gradY)
    {
        KernelFamily.FloatSuffix(x.DType, "layernorm backward");
        var (rows, c) = NormRows(x, weight, "layernorm backward");
        RequireSameShape(x, gradY, "layernorm backward");
        using var scratch = new Scratch(this);
        var xd = scratch.Dense(x);
        var wd = scratch.Dense(weight);
        var gd = scratch.Dense(gradY);
        var mu = Statistic(scratch, mean, rows, "mean");
        var rstd = Statistic(scratch, invStd, rows, "invStd");
        var gx = NewTensor(x.Shape, x.DType);
        if (rows > 0 && c > 0) _norms.LayerNormBackward(x.DType, rows, c, Address(xd), Address(wd), Address(mu), Address(rstd), Address(gd), Address(gx));
        var (gw, gb) = ParameterGradients(scratch, xd, mu, rstd, gd, rows, c, withBias: true);
        return (gx, gw, gb!);
    }

    /// <summary>dw = Σ_rows dy·x̂ (and db = Σ_rows dy): fp32 partial sums per chunk of rows, then the chunks added in order.</summary>
    private (Tensor Weight, Tensor? Bias) ParameterGradients(Scratch scratch, Tensor x, Tensor? mean, Tensor rstd, Tensor gradY, long rows, long c, bool withBias)
    {
        var dtype = x.DType;
        var gw = NewTensor(new Shape((int)c), dtype);
        var gb = withBias ? NewTensor(new Shape((int)c), dtype) : null;
        if (c == 0) return (gw, gb);
        if (rows == 0)
        {
            Context.Fill(Storage(gw).Buffer, 0);
            if (gb is not null) Context.Fill(Storage(gb).Buffer, 0);
            return (gw, gb);
        }
        // Chunks are a grid dim (at most 65535), so very tall inputs get longer chunks.
        var rowsPerChunk = Math.Max(NormRowsPerChunk, (rows + 65534) / 65535);
        var chunks = (rows + rowsPerChunk - 1) / rowsPerChunk;
        var partialW = scratch.New(new Shape((int)chunks, (int)c), DType.F32);
        var partialB = withBias ? scratch.New(new Shape((int)chunks, (int)c), DType.F32) : null;
        _norms.ParamGradPartial(dtype, rows, c, rowsPerChunk, chunks, Address(x), mean is null ? 0 : Address(mean), Address(rstd), Address(gradY),
            Address(partialW), partialB is null ? 0 : Address(partialB));
        _norms.SumPartials(dtype, chunks, c, Address(partialW), Address(gw));
        if (partialB is not null) _norms.SumPartials(dtype, chunks, c, Address(partialB), Address(gb!));
        return (gw, gb);
    }

    private static (long Rows, long C) NormRows(Tensor x, Tensor weight, string op)
    {
        if (x.Rank == 0) throw new ArgumentException($"{op} needs at least one dim");
        var c = x.Shape[^1];
        if (weight.Rank != 1 || weight.Shape[0] != c) throw new ArgumentException($"{op}: weight has shape {weight.Shape}, expected [{c}] for input {x.Shape}");
        if (weight.DType != x.DType) throw new ArgumentException($"{op}: weight is {weight.DType}, input is {x.DType}");
        return (x.NumElements / Math.Max(c, 1), c);
    }

    private static void RequireSameShape(Tensor x, Tensor g, string op)
    {
        if (g.Shape != x.Shape || g.DType != x.DType) throw new ArgumentException($"{op}: gradient {g.Shape} {g.DType} does not match input {x.Shape} {x.DType}");
    }

    /// <summary>A saved per-row statistic as dense fp32 [rows] (the forward returns it so; a cast copy otherwise).</summary>
    private Tensor Statistic(Scratch scratch, Tensor s, long rows, string name)
    {
        if (s.NumElements != rows) throw new ArgumentException($"norm backward: {name} has {s.NumElements} elements, expected one per row ({rows})");
        return s.DType == DType.F32 ? scratch.Dense(s) : scratch.Own(Cast(s, DType.F32));
    }
}
