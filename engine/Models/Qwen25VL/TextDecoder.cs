using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Engine.Models.Qwen25VL;

/// <summary>The Qwen2 decoder with M-RoPE (spec §4): embeddings, pre-norm GQA layers, the final norm.</summary>
public sealed class TextDecoder
{
    private readonly Qwen25VLTextConfig _config;
    private readonly DecoderLayer[] _layers;
    private readonly Tensor _finalNorm;

    public TextDecoder(Qwen25VLTextConfig config, ParameterBuilder p)
    {
        _config = config;
        EmbedTokens = p.Weight("embed_tokens.weight", config.VocabSize, config.HiddenSize);
        _layers = new DecoderLayer[config.NumHiddenLayers];
        for (var i = 0; i < _layers.Length; i++) _layers[i] = new DecoderLayer(config, p.Scope($"layers.{i}"));
        _finalNorm = p.NormWeight("norm.weight", config.HiddenSize);
    }

    public Tensor EmbedTokens { get; }

    public IReadOnlyList<DecoderLayer> Layers => _layers;

    /// <param name="embeddings">[B, T, hidden]</param>
    /// <param name="cos">[B, 1, T, D] M-RoPE tables</param>
    /// <param name="mask">[B, 1, T, Tk] additive mask</param>
    /// <param name="hiddenStates">when given, receives the input of every layer and the normed output</param>
    /// <returns>[B, T, hidden] after the final norm</returns>
    public Tensor Forward(Tensor embeddings, Tensor cos, Tensor sin, Tensor mask, List<Tensor>? hiddenStates = null, KvCache? cache = null)
    {
        var x = embeddings;
        for (var i = 0; i < _layers.Length; i++)
        {
            hiddenStates?.Add(x);
            x = _layers[i].Forward(x, cos, sin, mask, cache?.Layer(i));
        }
        var normed = Functional.RmsNorm(x, _finalNorm, _config.RmsNormEps);
        hiddenStates?.Add(normed);
        return normed;
    }
}

/// <summary>One pre-norm decoder layer: GQA attention with q/k/v biases and M-RoPE, then a SwiGLU MLP.</summary>
public sealed class DecoderLayer
{
    private readonly int _heads, _kvHeads, _headDim;
    private readonly double _eps;
    private readonly Tensor _inputNorm, _postNorm, _qWeight, _qBias, _kWeight, _kBias, _vWeight, _vBias, _oWeight;
    private readonly Tensor _gate, _up, _down;

    public DecoderLayer(Qwen25VLTextConfig c, ParameterBuilder p)
    {
        _heads = c.NumAttentionHeads;
        _kvHeads = c.NumKeyValueHeads;
        _headDim = c.HeadDim;
        _eps = c.RmsNormEps;
        var kvDim = _kvHeads * _headDim;
        _inputNorm = p.NormWeight("input_layernorm.weight", c.HiddenSize);
        _postNorm = p.NormWeight("post_attention_layernorm.weight", c.HiddenSize);
        _qWeight = p.Weight("self_attn.q_proj.weight", _heads * _headDim, c.HiddenSize);
        _qBias = p.Bias("self_attn.q_proj.bias", _heads * _headDim);
        _kWeight = p.Weight("self_attn.k_proj.weight", kvDim, c.HiddenSize);
        _kBias = p.Bias("self_attn.k_proj.bias", kvDim);
        _vWeight = p.Weight("self_attn.v_proj.weight", kvDim, c.HiddenSize);
        _vBias = p.Bias("self_attn.v_proj.bias", kvDim);
        _oWeight = p.Weight("self_attn.o_proj.weight", c.HiddenSize, _heads * _headDim);
        _gate = p.Weight("mlp.gate_proj.weight", c.IntermediateSize, c.HiddenSize);
        _up = p.Weight("mlp.up_proj.weight", c.IntermediateSize, c.HiddenSize);
        _down = p.Weight("mlp.down_proj.weight", c.HiddenSize, c.IntermediateSize);
    }

    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, Tensor mask, KvCache.LayerCache? cache)
    {
        var (b, t) = (x.Shape[0], x.Shape[1]);
        var h = Functional.RmsNorm(x, _inputNorm, _eps);
        // [B, T, H·D] → [B, H, T, D]
        var q = Functional.Linear(h, _qWeight, _qBias).Reshape(b, t, _heads, _headDim).Transpose(1, 2);
        var k = Functional.Linear(h, _kWeight, _kBias).Reshape(b, t, _kvHeads, _headDim).Transpose(1, 2);
        var v = Functional.Linear(h, _vWeight, _vBias).Reshape(b, t, _kvHeads, _headDim).Transpose(1, 2);
        q = Functional.Rotary(q, cos, sin);
        k = Functional.Rotary(k, cos, sin);
        if (cache is not null) (k, v) = cache.Append(k, v);
        var attn = ScaledDotProductAttention.Compute(q, k, v, mask, 1.0 / Math.Sqrt(_headDim));
        attn = attn.Transpose(1, 2).Reshape(b, t, _heads * _headDim);
        x = x + Functional.Linear(attn, _oWeight, null);
        var z = Functional.RmsNorm(x, _postNorm, _eps);
        return x + Functional.Linear(Functional.Linear(z, _gate, null).Silu() * Functional.Linear(z, _up, null), _down, null);
    }
}

/// <summary>Per-layer key/value cache for generation: [B, Hkv, T_cached, D] grown by concatenation.</summary>
public sealed class KvCache
{
    private readonly LayerCache[] _layers;

    public KvCache(int layers)
    {
        _layers = new LayerCache[layers];
        for (var i = 0; i < layers; i++) _layers[i] = new LayerCache();
    }

    public int Length => _layers.Length == 0 ? 0 : _layers[0].Length;

    public LayerCache Layer(int i) => _layers[i];

    public sealed class LayerCache
    {
        private Tensor? _k, _v;

        public int Length => _k?.Shape[2] ?? 0;

        public (Tensor K, Tensor V) Append(Tensor k, Tensor v)
        {
            _k = _k is null ? k.Keep() : Tensor.Cat([_k, k], 2).Keep();
            _v = _v is null ? v.Keep() : Tensor.Cat([_v, v], 2).Keep();
            return (_k, _v);
        }
    }
}
