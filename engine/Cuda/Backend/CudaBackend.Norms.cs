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
        var kernel = CudaKernelNames.RmsNormForward(x.DType);
        var (rows, c) = NormRows(x, weight, "rmsnorm");
        using var scratch = new Scratch(this);
        var xd = scratch.Dense(x);
        var wd = scratch.Dense(weight);
        var y = NewTensor(x.Shape, x.DType);
        var invRms = NewTensor(new Shape((int)rows), DType.F32);
        if (rows > 0 && c > 0)
            Launch(kernel, LaunchConfig.ForRows(rows, RowBlock), new KernelArgs().Long(c)
                .Pointer(Address(xd)).Pointer(Address(wd)).Float((float)eps).Pointer(Address(y)).Pointer(Address(invRms)));
        return (y, invRms);
    }

    public (Tensor GradX, Tensor GradWeight) RmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor gradY)
    {
        var kernel = CudaKernelNames.RmsNormBackward(x.DType);
        var (rows, c) = NormRows(x, weight, "rmsnorm backward");
        RequireSameShape(x, gradY, "rmsnorm backward");
        using var scratch = new Scratch(this);
        var xd = scratch.Dense(x);
        var wd = scratch.Dense(weight);
        var gd = scratch.Dense(gradY);
        var rstd = Statistic(scratch, invRms, rows, "invRms");
        var gx = NewTensor(x.Shape, x.DType);
        if (rows > 0 && c > 0)
            Launch(kernel, LaunchConfig.ForRows(rows, RowBlock), new KernelArgs().Long(c)
                .Pointer(Address(xd)).Pointer(Address(wd)).Pointer(Address(rstd)).Pointer(Address(gd)).Pointer(Address(gx)));
        var gw = ParameterGradients(scratch, xd, null, rstd, gd, rows, c, withBias: false).Weight;
        return (gx, gw);
    }

    public (Tensor Output, Tensor Mean, Tensor InvStd) LayerNorm(Tensor x, Tensor weight, Tensor bias, double eps)
    {
        var kernel = CudaKernelNames.LayerNormForward(x.DType);
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
        if (rows > 0 && c > 0)
            Launch(kernel, LaunchConfig.ForRows(rows, RowBlock), new KernelArgs().Long(c).Pointer(Address(xd)).Pointer(Address(wd))
                .Pointer(Address(bd)).Float((float)eps).Pointer(Address(y)).Pointer(Address(mean)).Pointer(Address(invStd)));
        return (y, mean, invStd);
    }

    public (Tensor GradX, Tensor GradWeight, Tensor GradBias) LayerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor gradY)
    {
        var kernel = CudaKernelNames.LayerNormBackward(x.DType);
        var (rows, c) = NormRows(x, weight, "layernorm backward");
        RequireSameShape(x, gradY, "layernorm backward");
        using var scratch = new Scratch(this);
        var xd = scratch.Dense(x);
        var wd = scratch.Dense(weight);
        var gd = scratch.Dense(gradY);
        var mu = Statistic(scratch, mean, rows, "mean");
        var rstd = Statistic(scratch, invStd, rows, "invStd");
        var gx = NewTensor(x.Shape, x.DType);
        if (rows > 0 && c > 0)
            Launch(kernel, LaunchConfig.ForRows(rows, RowBlock), new KernelArgs().Long(c).Pointer(Address(xd)).Pointer(Address(wd))
                .Pointer(Address(mu)).Pointer(Address(rstd)).Pointer(Address(gd)).Pointer(Address(gx)));
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
        var columnBlocks = (uint)((c + RowBlock - 1) / RowBlock);
        var args = new KernelArgs().Long(rows).Long(c).Long(rowsPerChunk).Pointer(Address(x));
        if (mean is null) args.Null(); else args.Pointer(Address(mean));
        args.Pointer(Address(rstd)).Pointer(Address(gradY)).Pointer(Address(partialW));
        if (partialB is null) args.Null(); else args.Pointer(Address(partialB));
        Launch(CudaKernelNames.NormParamGradPartial(dtype), new LaunchConfig(new Dim3(columnBlocks, (uint)chunks), new Dim3(RowBlock)), args);
        var sum = CudaKernelNames.NormSumPartials(dtype);
        var sumConfig = new LaunchConfig(new Dim3(columnBlocks), new Dim3(RowBlock));
        Launch(sum, sumConfig, new KernelArgs().Long(chunks).Long(c).Pointer(Address(partialW)).Pointer(Address(gw)));
        if (partialB is not null) Launch(sum, sumConfig, new KernelArgs().Long(chunks).Long(c).Pointer(Address(partialB)).Pointer(Address(gb!)));
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
