using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cuda.Backend;

/// <summary>One kernel entry point: the family (kernels/&lt;family&gt;.cu) and its extern "C" name.</summary>
public readonly record struct KernelEntry(string Family, string Name)
{
    public override string ToString() => $"{Family}.cu:{Name}";
}

/// <summary>
/// Every kernel name the CUDA backend launches is built here, so <see cref="All"/> can list them for a GPU-free test
/// that each one exists in its family's compiled CUBIN.
/// </summary>
public static class CudaKernelNames
{
    public static readonly DType[] FloatTypes = [DType.F32, DType.BF16];
    public static readonly DType[] CastTypes = [DType.F32, DType.BF16, DType.I32, DType.I64, DType.U8, DType.Bool];
    public static readonly int[] WordBytes = [1, 2, 4, 8];

    /// <summary>The kernel-name suffix of a float storage type.</summary>
    public static string FloatSuffix(DType dtype, string op) => dtype switch
    {
        DType.F32 => "f32",
        DType.BF16 => "bf16",
        _ => throw new NotSupportedException($"{op} on CUDA needs F32 or BF16, got {dtype}"),
    };

    /// <summary>The kernel-name suffix of a dtype the cast kernels take; a Bool source is read as its u8 storage.</summary>
    public static string CastSuffix(DType dtype, bool destination) => dtype switch
    {
        DType.Bool when destination => "bool",
        DType.F32 => "f32",
        DType.BF16 => "bf16",
        DType.I32 => "i32",
        DType.I64 => "i64",
        DType.U8 or DType.Bool => "u8",
        _ => throw new NotSupportedException($"cast on CUDA supports F32, BF16, I32, I64, U8 and Bool, not {dtype}"),
    };

    public static KernelEntry UnaryForward(DType t) => new("tensor", $"tensor_unary_fwd_{FloatSuffix(t, "unary")}");
    public static KernelEntry UnaryBackward(DType t) => new("tensor", $"tensor_unary_bwd_{FloatSuffix(t, "unary backward")}");
    public static KernelEntry Clamp(DType t) => new("tensor", $"tensor_clamp_{FloatSuffix(t, "clamp")}");
    public static KernelEntry Fill(int bytes) => new("tensor", $"tensor_fill_b{bytes}");
    public static KernelEntry Copy(int bytes) => new("tensor", $"tensor_copy_b{bytes}");
    public static KernelEntry Cast(DType from, DType to) => new("tensor", $"tensor_cast_{CastSuffix(from, destination: false)}_{CastSuffix(to, destination: true)}");
    public static KernelEntry Binary(DType t) => new("elementwise", $"elementwise_binary_strided_{FloatSuffix(t, "binary")}");
    public static KernelEntry Compare(DType t) => new("elementwise", $"elementwise_compare_{FloatSuffix(t, "comparison")}");
    public static KernelEntry Where(DType t) => new("elementwise", $"elementwise_where_{FloatSuffix(t, "where")}");
    public static KernelEntry ReduceLastDim(DType t) => new("reduce", $"reduce_lastdim_{FloatSuffix(t, "reduce")}");
    public static KernelEntry ArgMax(DType t) => new("reduce", $"reduce_argmax_{FloatSuffix(t, "argmax")}");

    public static KernelEntry Softmax(DType t, bool log, bool backward) =>
        new("softmax", $"softmax_{(log ? "log_" : "")}{(backward ? "bwd" : "fwd")}_{FloatSuffix(t, "softmax")}");

    public static KernelEntry IndexSelectRows(DType t) => new("index", $"index_select_rows_{FloatSuffix(t, "index_select")}");
    public static KernelEntry ScatterAddRows(DType t) => new("index", $"index_scatter_add_rows_{FloatSuffix(t, "index_add")}");
    public static KernelEntry GatherLastDim(DType t) => new("index", $"index_gather_lastdim_{FloatSuffix(t, "gather")}");
    public static KernelEntry ScatterAddLastDim(DType t) => new("index", $"index_scatter_add_lastdim_{FloatSuffix(t, "scatter_add")}");
    public static KernelEntry RmsNormForward(DType t) => new("norms", $"rmsnorm_fwd_{FloatSuffix(t, "rmsnorm")}");
    public static KernelEntry RmsNormBackward(DType t) => new("norms", $"rmsnorm_bwd_{FloatSuffix(t, "rmsnorm backward")}");
    public static KernelEntry LayerNormForward(DType t) => new("norms", $"layernorm_fwd_{FloatSuffix(t, "layernorm")}");
    public static KernelEntry LayerNormBackward(DType t) => new("norms", $"layernorm_bwd_{FloatSuffix(t, "layernorm backward")}");
    public static KernelEntry NormParamGradPartial(DType t) => new("norms", $"norms_param_grad_partial_{FloatSuffix(t, "norm backward")}");
    public static KernelEntry NormSumPartials(DType t) => new("norms", $"norms_sum_partials_{FloatSuffix(t, "norm backward")}");
    public static KernelEntry Rope(DType t, bool inverse) => new("rope", $"rope_{(inverse ? "bwd" : "fwd")}_{FloatSuffix(t, "rotary")}");
    public static KernelEntry DropoutMask() => new("dropout", "dropout_mask_u8");
    public static KernelEntry AdamW(DType gradType) => new("adamw", $"adamw_step_{FloatSuffix(gradType, "adamw gradient")}");

    /// <summary>Every entry point the backend can launch.</summary>
    public static IReadOnlyList<KernelEntry> All()
    {
        var all = new List<KernelEntry>();
        foreach (var t in FloatTypes)
        {
            all.AddRange([UnaryForward(t), UnaryBackward(t), Clamp(t), Binary(t), Compare(t), Where(t), ReduceLastDim(t), ArgMax(t)]);
            foreach (var log in new[] { false, true })
                foreach (var backward in new[] { false, true }) all.Add(Softmax(t, log, backward));
            all.AddRange([IndexSelectRows(t), ScatterAddRows(t), GatherLastDim(t), ScatterAddLastDim(t)]);
            all.AddRange([RmsNormForward(t), RmsNormBackward(t), LayerNormForward(t), LayerNormBackward(t), NormParamGradPartial(t), NormSumPartials(t)]);
            all.AddRange([Rope(t, false), Rope(t, true), AdamW(t)]);
        }
        foreach (var bytes in WordBytes) all.AddRange([Fill(bytes), Copy(bytes)]);
        foreach (var from in CastTypes)
            foreach (var to in CastTypes)
                if (from != to) all.Add(Cast(from, to));
        all.Add(DropoutMask());
        return all;
    }
}
