using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Engine.Models.Qwen25VL;

/// <summary>
/// The Qwen2.5-VL vision transformer (docs/models.md, "Vision tower"): patch embedding as a matmul, 2-D rotary, windowed and full
/// attention blocks over packed images, the 2×2 patch merger, and the reorder back to raster order.
/// </summary>
public sealed class VisionTower
{
    private const double NormEps = 1e-6;
    private readonly Qwen25VLVisionConfig _config;
    private readonly Tensor _patchWeight;
    private readonly VisionBlock[] _blocks;
    private readonly Tensor _mergerNorm, _merger0Weight, _merger0Bias, _merger2Weight, _merger2Bias;

    public VisionTower(Qwen25VLVisionConfig config, ParameterBuilder p)
    {
        _config = config;
        var patchVolume = config.InChans * config.TemporalPatchSize * config.PatchSize * config.PatchSize;
        _patchWeight = p.Weight("patch_embed.proj.weight", config.HiddenSize, config.InChans, config.TemporalPatchSize, config.PatchSize, config.PatchSize);
        _blocks = new VisionBlock[config.Depth];
        for (var i = 0; i < config.Depth; i++) _blocks[i] = new VisionBlock(config, p.Scope($"blocks.{i}"));
        var merged = config.HiddenSize * config.SpatialMergeSize * config.SpatialMergeSize;
        _mergerNorm = p.NormWeight("merger.ln_q.weight", config.HiddenSize);
        _merger0Weight = p.Weight("merger.mlp.0.weight", merged, merged);
        _merger0Bias = p.Bias("merger.mlp.0.bias", merged);
        _merger2Weight = p.Weight("merger.mlp.2.weight", config.OutHiddenSize, merged);
        _merger2Bias = p.Bias("merger.mlp.2.bias", config.OutHiddenSize);
        PatchVolume = patchVolume;
    }

    public int PatchVolume { get; }

    public int HeadDim => _config.HiddenSize / _config.NumHeads;

    /// <summary>Intermediate tensors a caller may ask for (golden tests, --hidden-states).</summary>
    public sealed class Trace
    {
        public Tensor? PatchEmbed { get; set; }
        public List<Tensor> BlockOutputs { get; } = [];
        public Tensor? MergerWindowOrder { get; set; }
    }

    /// <param name="pixelValues">[P, 3·2·14·14] in processor row order</param>
    /// <returns>[P / 4, out_hidden] merged image tokens in raster order, images concatenated. Without recording, each
    /// block's temporaries are freed as it returns.</returns>
    public Tensor Forward(Tensor pixelValues, IReadOnlyList<(int T, int H, int W)> grids, Trace? trace = null)
    {
        var layout = VisionLayout.Build(grids, _config.SpatialMergeSize, _config.WindowSize, _config.PatchSize);
        if (pixelValues.Shape[0] != layout.PatchCount || pixelValues.Shape[1] != PatchVolume)
            throw new ArgumentException($"pixel_values has shape {pixelValues.Shape}, the grids need [{layout.PatchCount}, {PatchVolume}]");

        // The pixels arrive from the host in f32; the tower runs on its weights' device and dtype.
        var x = OnWeights(pixelValues).MatMul(_patchWeight.Reshape(_config.HiddenSize, PatchVolume).T);
        if (trace is not null) trace.PatchEmbed = x;

        var (cos, sin) = RotaryTables(layout);
        var unit = layout.MergeUnit;
        var patchOrder = Tensor.FromArray(layout.WindowIndex.SelectMany(m => Enumerable.Range(m * unit, unit)).Select(i => (long)i).ToArray()).To(Device);
        x = x.IndexSelect(0, patchOrder);
        cos = cos.IndexSelect(0, patchOrder).Unsqueeze(1);
        sin = sin.IndexSelect(0, patchOrder).Unsqueeze(1);

        var windows = new AttentionSegments(layout.CuWindowSeqlens, layout.CuWindowSeqlens);
        var images = new AttentionSegments(layout.CuSeqlens, layout.CuSeqlens);
        for (var i = 0; i < _blocks.Length; i++)
        {
            var (block, segments) = (_blocks[i], _config.FullattBlockIndexes.Contains(i) ? images : windows);
            x = Checkpointing.RunBlock(h => block.Forward(h, cos, sin, segments), x, checkpoint: false);
            trace?.BlockOutputs.Add(x);
        }

        var merged = Functional.RmsNorm(x, _mergerNorm, NormEps).Reshape(-1, _config.HiddenSize * unit);
        merged = Functional.Linear(merged, _merger0Weight, _merger0Bias).Gelu();
        merged = Functional.Linear(merged, _merger2Weight, _merger2Bias);
        if (trace is not null) trace.MergerWindowOrder = merged;
        var reverse = Tensor.FromArray(layout.ReverseIndex().Select(i => (long)i).ToArray()).To(Device);
        return merged.IndexSelect(0, reverse);
    }

    /// <summary>The device the tower's weights live on; every tensor a pass makes is created there.</summary>
    public Device Device => _patchWeight.Device;

    private Tensor OnWeights(Tensor t)
    {
        var placed = t.To(Device);
        // f32 on the CPU, whose bf16 mode keeps bf16 weights only as GEMM operands; the weights' dtype on a GPU.
        var activations = Device.IsCpu ? DType.F32 : _patchWeight.DType;
        return placed.DType == activations ? placed : placed.To(activations);
    }

    /// <summary>Rotary angles: per patch [h·inv_freq, w·inv_freq] (grid row, then column), duplicated to the head dim; fp32.</summary>
    public (Tensor Cos, Tensor Sin) RotaryTables(VisionLayout layout)
    {
        var angles = RotaryAngles(layout);
        var n = layout.PatchCount;
        var half = HeadDim / 2;
        var emb = new float[n * HeadDim];
        for (var r = 0; r < n; r++)
            for (var j = 0; j < half; j++)
            {
                emb[r * HeadDim + j] = angles[r * half + j];
                emb[r * HeadDim + half + j] = angles[r * half + j];
            }
        var t = Tensor.FromFloats(emb, new Shape(n, HeadDim), Device);
        return (t.Cos(), t.Sin());
    }

    /// <summary>[P, D/2] angles: first D/4 from the patch row, next D/4 from the patch column.</summary>
    public float[] RotaryAngles(VisionLayout layout)
    {
        var rotaryDim = HeadDim / 2;
        var freqCount = rotaryDim / 2;
        var invFreq = new float[freqCount];
        for (var i = 0; i < freqCount; i++) invFreq[i] = 1f / MathF.Pow(10000f, (float)(2 * i) / rotaryDim);
        var n = layout.PatchCount;
        var angles = new float[n * rotaryDim];
        for (var r = 0; r < n; r++)
            for (var i = 0; i < freqCount; i++)
            {
                angles[r * rotaryDim + i] = layout.HPositions[r] * invFreq[i];
                angles[r * rotaryDim + freqCount + i] = layout.WPositions[r] * invFreq[i];
            }
        return angles;
    }
}

/// <summary>One pre-norm vision block: RMSNorm → segmented attention with 2-D rotary → RMSNorm → gated MLP (hidden_act,
/// SiLU in the released models).</summary>
internal sealed class VisionBlock
{
    private const double NormEps = 1e-6;
    private readonly int _heads, _headDim, _hidden;
    private readonly UnaryKind _activation;
    private readonly Tensor _norm1, _norm2, _qkvWeight, _qkvBias, _projWeight, _projBias;
    private readonly Tensor _gateWeight, _gateBias, _upWeight, _upBias, _downWeight, _downBias;

    public VisionBlock(Qwen25VLVisionConfig c, ParameterBuilder p)
    {
        _hidden = c.HiddenSize;
        _heads = c.NumHeads;
        _headDim = c.HiddenSize / c.NumHeads;
        _activation = c.Activation();
        _norm1 = p.NormWeight("norm1.weight", _hidden);
        _norm2 = p.NormWeight("norm2.weight", _hidden);
        _qkvWeight = p.Weight("attn.qkv.weight", 3 * _hidden, _hidden);
        _qkvBias = p.Bias("attn.qkv.bias", 3 * _hidden);
        _projWeight = p.Weight("attn.proj.weight", _hidden, _hidden);
        _projBias = p.Bias("attn.proj.bias", _hidden);
        _gateWeight = p.Weight("mlp.gate_proj.weight", c.IntermediateSize, _hidden);
        _gateBias = p.Bias("mlp.gate_proj.bias", c.IntermediateSize);
        _upWeight = p.Weight("mlp.up_proj.weight", c.IntermediateSize, _hidden);
        _upBias = p.Bias("mlp.up_proj.bias", c.IntermediateSize);
        _downWeight = p.Weight("mlp.down_proj.weight", _hidden, c.IntermediateSize);
        _downBias = p.Bias("mlp.down_proj.bias", _hidden);
    }

    /// <summary>The vision rotary runs in f32 with f32 tables whatever the activations' dtype, then casts back (as the
    /// reference does), so bf16 weights round q and k once, after rotation.</summary>
    private static Tensor Rotate(Tensor x, Tensor cos, Tensor sin) =>
        x.DType == cos.DType ? Functional.Rotary(x, cos, sin) : Functional.Rotary(x.To(cos.DType), cos, sin).To(x.DType);

    /// <param name="x">[P, hidden] in window order</param>
    /// <param name="cos">[P, 1, D]</param>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, AttentionSegments segments)
    {
        var n = x.Shape[0];
        var qkv = Functional.Linear(Functional.RmsNorm(x, _norm1, NormEps), _qkvWeight, _qkvBias).Reshape(n, 3, _heads, _headDim);
        var q = Rotate(qkv.Narrow(1, 0, 1).Squeeze(1), cos, sin);
        var k = Rotate(qkv.Narrow(1, 1, 1).Squeeze(1), cos, sin);
        var v = qkv.Narrow(1, 2, 1).Squeeze(1);
        // Non-causal attention inside each window (or whole image) of the packed [P, H, D] rows.
        var attn = FusedAttention.Varlen(q, k, v, segments, causal: false, 1.0 / Math.Sqrt(_headDim)).Reshape(n, _hidden);
        x = x + Functional.Linear(attn, _projWeight, _projBias);
        var z = Functional.RmsNorm(x, _norm2, NormEps);
        var mlp = Functional.Linear(UnaryOp.Apply(_activation, Functional.Linear(z, _gateWeight, _gateBias)) * Functional.Linear(z, _upWeight, _upBias), _downWeight, _downBias);
        return x + mlp;
    }
}
