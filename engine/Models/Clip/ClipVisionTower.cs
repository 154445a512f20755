using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Engine.Models.Clip;

/// <summary>
/// CLIP's vision transformer (docs/models.md, "CLIP"): stride-p patch conv as a matmul over raster-ordered patches, class token,
/// position embedding, pre_layrnorm, encoder, post_layernorm of the class token.
/// </summary>
public sealed class ClipVisionTower
{
    private readonly ClipVisionConfig _config;
    private readonly Tensor _classEmbedding, _patchWeight, _positionEmbedding;
    private readonly Tensor _preNormWeight, _preNormBias, _postNormWeight, _postNormBias;
    private readonly ClipEncoderLayer[] _layers;

    public ClipVisionTower(ClipVisionConfig config, ParameterBuilder p)
    {
        _config = config;
        var c = config.HiddenSize;
        _classEmbedding = p.Weight("embeddings.class_embedding", c);
        _patchWeight = p.Weight("embeddings.patch_embedding.weight", c, config.NumChannels, config.PatchSize, config.PatchSize);
        _positionEmbedding = p.Weight("embeddings.position_embedding.weight", config.NumPositions, c);
        _preNormWeight = p.NormWeight("pre_layrnorm.weight", c);
        _preNormBias = p.Bias("pre_layrnorm.bias", c);
        _layers = new ClipEncoderLayer[config.NumHiddenLayers];
        for (var i = 0; i < _layers.Length; i++)
            _layers[i] = new ClipEncoderLayer(c, config.NumAttentionHeads, config.IntermediateSize, config.LayerNormEps, config.HiddenAct, p.Scope($"encoder.layers.{i}"));
        _postNormWeight = p.NormWeight("post_layernorm.weight", c);
        _postNormBias = p.Bias("post_layernorm.bias", c);
    }

    /// <param name="pixelValues">[B, 3, S, S] normalized pixels, S = image_size</param>
    /// <returns>[B, C_v] pooled output</returns>
    public Tensor Forward(Tensor pixelValues, ClipTrace? trace = null)
    {
        var (s, ps, ch, c) = (_config.ImageSize, _config.PatchSize, _config.NumChannels, _config.HiddenSize);
        if (pixelValues.Rank != 4 || pixelValues.Shape[1] != ch || pixelValues.Shape[2] != s || pixelValues.Shape[3] != s)
            throw new ArgumentException($"CLIP pixel_values has shape {pixelValues.Shape}, expected [B, {ch}, {s}, {s}]");
        var b = pixelValues.Shape[0];
        var grid = s / ps;
        var onDevice = pixelValues.To(_classEmbedding.Device);
        var pixels = onDevice.DType == DType.F32 ? onDevice : onDevice.To(DType.F32);
        // [B, 3, g, p, g, p] → [B, g, g, 3, p, p]: raster-ordered patches flattened as (c, ky, kx) like the conv weight.
        var patches = pixels.Reshape(b, ch, grid, ps, grid, ps).Permute(0, 2, 4, 1, 3, 5).Reshape(b, grid * grid, ch * ps * ps);
        var patchEmbeds = patches.MatMul(_patchWeight.Reshape(c, ch * ps * ps).T);
        var cls = _classEmbedding.Reshape(1, 1, c).Expand(new Shape(b, 1, c));
        var x = Tensor.Cat([cls, patchEmbeds], 1) + _positionEmbedding;
        x = Functional.LayerNorm(x, _preNormWeight, _preNormBias, _config.LayerNormEps);
        trace?.VisionHiddenStates.Add(x);
        foreach (var layer in _layers)
        {
            x = layer.Forward(x, null);
            trace?.VisionHiddenStates.Add(x);
        }
        var pooled = Functional.LayerNorm(x.Narrow(1, 0, 1).Squeeze(1), _postNormWeight, _postNormBias, _config.LayerNormEps);
        if (trace is not null) trace.VisionPooledOutput = pooled;
        return pooled;
    }
}
