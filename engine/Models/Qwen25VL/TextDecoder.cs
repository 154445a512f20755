using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Engine.Models.Qwen25VL;

/// <summary>The Qwen2 decoder with M-RoPE (docs/models.md, "Decoder"): embeddings, pre-norm GQA layers, the final norm.</summary>
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
        for (var i = 0; i < _layers.Length; i++) _layers[i] = new DecoderLayer(config, p.Scope($"layers.{i}"), $"model.layers.{i}", Projections);
        _finalNorm = p.NormWeight("norm.weight", config.HiddenSize);
    }

    public Tensor EmbedTokens { get; }

    /// <summary>Where adapters (LoRA) attach to the decoder's linear projections.</summary>
    public ProjectionHooks Projections { get; } = new();

    public IReadOnlyList<DecoderLayer> Layers => _layers;

    /// <summary>
    /// Activation checkpointing per layer in recorded passes: each layer keeps only its input and is recomputed in
    /// backward (one more forward of the decoder for a fraction of the activation memory).
    /// </summary>
    public bool CheckpointLayers { get; set; }

    /// <summary>
    /// The decoder over packed sequences (training and scoring): no padding, no per-layer packing. Without recording,
    /// each layer's temporaries are freed as it returns.
    /// </summary>
    /// <param name="embeddings">[T, hidden] in packed order</param>
    /// <param name="cos">[T, D] M-RoPE tables</param>
    /// <param name="segments">where each packed sequence attends (causal, with shared key prefixes)</param>
    /// <param name="hiddenStates">when given, receives the input of every layer and the normed output</param>
    /// <returns>[T, hidden] after the final norm</returns>
    public Tensor ForwardPacked(Tensor embeddings, Tensor cos, Tensor sin, AttentionSegments segments, List<Tensor>? hiddenStates = null)
    {
        var x = embeddings;
        foreach (var layer in _layers)
        {
            hiddenStates?.Add(x);
            x = Checkpointing.RunBlock(h => layer.ForwardPacked(h, cos, sin, segments), x, CheckpointLayers);
        }
        var normed = Functional.RmsNorm(x, _finalNorm, _config.RmsNormEps);
        hiddenStates?.Add(normed);
        return normed;
    }

    /// <summary>The decoder over a padded batch: generation with a KV cache, or a key padding mask.</summary>
    /// <param name="embeddings">[B, T, hidden]</param>
    /// <param name="cos">[B, T, D] M-RoPE tables</param>
    /// <param name="mask">key padding for the fused causal path, or an additive mask when decoding with a cache</param>
    /// <param name="hiddenStates">when given, receives the input of every layer and the normed output</param>
    /// <returns>[B, T, hidden] after the final norm</returns>
    public Tensor Forward(Tensor embeddings, Tensor cos, Tensor sin, DecoderMask mask, List<Tensor>? hiddenStates = null, KvCache? cache = null)
    {
        var x = embeddings;
        for (var i = 0; i < _layers.Length; i++)
        {
            hiddenStates?.Add(x);
            var layer = _layers[i];
            // Without a tape (and without a cache, which keeps the layer's keys and values) a layer's temporaries
            // are dead once it returns; freeing them at once keeps an inference pass to one layer's worth.
            x = cache is null && !GradMode.IsEnabled
                ? TensorScope.KeepingOnlyResult(() => layer.Forward(x, cos, sin, mask, null))
                : layer.Forward(x, cos, sin, mask, cache?.Layer(i));
        }
        var normed = Functional.RmsNorm(x, _finalNorm, _config.RmsNormEps);
        hiddenStates?.Add(normed);
        return normed;
    }
}

/// <summary>One pre-norm decoder layer: GQA attention with q/k/v biases and M-RoPE, then a gated MLP (SwiGLU with
/// the released models' hidden_act "silu").</summary>
public sealed class DecoderLayer
{
    private readonly int _heads, _kvHeads, _headDim;
    private readonly double _eps;
    private readonly UnaryKind _activation;
    private readonly Tensor _inputNorm, _postNorm, _qWeight, _qBias, _kWeight, _kBias, _vWeight, _vBias, _oWeight;
    private readonly Tensor _gate, _up, _down;

    private readonly string _prefix;
    private readonly ProjectionHooks _hooks;

    public DecoderLayer(Qwen25VLTextConfig c, ParameterBuilder p, string prefix, ProjectionHooks hooks)
    {
        _prefix = prefix;
        _hooks = hooks;
        _heads = c.NumAttentionHeads;
        _kvHeads = c.NumKeyValueHeads;
        _headDim = c.HeadDim;
        _eps = c.RmsNormEps;
        _activation = c.Activation();
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

    /// <summary>A padded batch: x [B, T, hidden], cos and sin [B, T, D].</summary>
    public Tensor Forward(Tensor x, Tensor cos, Tensor sin, DecoderMask mask, KvCache.LayerCache? cache) =>
        Compute(x, cos.Unsqueeze(2), sin.Unsqueeze(2), (q, k, v) =>
        {
            if (cache is null) return FusedAttention.Padded(q, k, v, mask.KeyPadding, causal: true, Scale);
            // Decoding appends to the cache and attends with an explicit mask over everything cached.
            var (kAll, vAll) = cache.Append(k.Transpose(1, 2), v.Transpose(1, 2));
            return EagerAttention.Compute(q.Transpose(1, 2), kAll, vAll, mask.Additive, Scale).Transpose(1, 2);
        });

    /// <summary>Packed sequences: x [T, hidden], cos and sin [T, D].</summary>
    public Tensor ForwardPacked(Tensor x, Tensor cos, Tensor sin, AttentionSegments segments) =>
        Compute(x, cos.Unsqueeze(1), sin.Unsqueeze(1), (q, k, v) => FusedAttention.Varlen(q, k, v, segments, causal: true, Scale));

    private double Scale => 1.0 / Math.Sqrt(_headDim);

    /// <summary>The layer over tokens [..., hidden]; <paramref name="attend"/> maps q [..., Hq, D], k and v [..., Hkv, D] to [..., Hq, D].</summary>
    private Tensor Compute(Tensor x, Tensor cosHeads, Tensor sinHeads, Func<Tensor, Tensor, Tensor, Tensor> attend)
    {
        int[] lead = x.Shape.ToArray()[..^1];
        var h = Functional.RmsNorm(x, _inputNorm, _eps);
        // [..., H·D] → [..., H, D]; the rotary tables broadcast over heads.
        var q = Project("self_attn.q_proj", h, _qWeight, _qBias).Reshape([.. lead, _heads, _headDim]);
        var k = Project("self_attn.k_proj", h, _kWeight, _kBias).Reshape([.. lead, _kvHeads, _headDim]);
        var v = Project("self_attn.v_proj", h, _vWeight, _vBias).Reshape([.. lead, _kvHeads, _headDim]);
        q = Functional.Rotary(q, cosHeads, sinHeads);
        k = Functional.Rotary(k, cosHeads, sinHeads);
        var attn = attend(q, k, v);
        x = x + Project("self_attn.o_proj", attn.Reshape([.. lead, _heads * _headDim]), _oWeight, null);
        var z = Functional.RmsNorm(x, _postNorm, _eps);
        return x + Project("mlp.down_proj", UnaryOp.Apply(_activation, Project("mlp.gate_proj", z, _gate, null)) * Project("mlp.up_proj", z, _up, null), _down, null);
    }

    /// <summary>x·Wᵀ + b, or what an attached adapter makes of it.</summary>
    private Tensor Project(string leaf, Tensor x, Tensor weight, Tensor? bias) =>
        _hooks.Apply($"{_prefix}.{leaf}", x, weight, bias) ?? Functional.Linear(x, weight, bias);
}

/// <summary>
/// A replacement for the decoder's linear projections, keyed by module name ("model.layers.3.mlp.up_proj"):
/// it returns the projection's output, or null to leave the plain x·Wᵀ + b.
/// </summary>
public sealed class ProjectionHooks
{
    public Func<string, Tensor, Tensor, Tensor?, Tensor?>? Hook { get; set; }

    public Tensor? Apply(string module, Tensor x, Tensor weight, Tensor? bias) => Hook?.Invoke(module, x, weight, bias);
}

/// <summary>
/// How a decoder pass masks keys: the fused causal path needs only which tokens are real ([B, T], 1 = real);
/// decoding against a cache uses an additive mask [B, 1, Tq, Tk].
/// </summary>
public sealed record DecoderMask(Tensor? KeyPadding, Tensor? Additive = null)
{
    public static DecoderMask FromAttentionMask(long[,]? attentionMask)
    {
        if (attentionMask is null) return new DecoderMask(KeyPadding: null);
        var (b, t) = (attentionMask.GetLength(0), attentionMask.GetLength(1));
        var flat = new long[b * t];
        for (var i = 0; i < b; i++)
            for (var j = 0; j < t; j++) flat[i * t + j] = attentionMask[i, j];
        return new DecoderMask(KeyPadding: flat.All(v => v != 0) ? null : Tensor.FromArray(flat, b, t));
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
