using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Engine.Models.Clip;

/// <summary>
/// CLIP's text transformer (docs/models.md, "CLIP"): token + position embedding, causal (plus key-padding) encoder,
/// final_layer_norm on every position, pooled at the EOS position chosen by the config rule.
/// </summary>
public sealed class ClipTextTower
{
    /// <summary>The eos_token_id of the original OpenAI configs; with it the reference pools at argmax(ids).</summary>
    public const int LegacyEosTokenId = ClipConfig.LegacyEosTokenId;

    private readonly ClipTextConfig _config;
    private readonly Tensor _tokenEmbedding, _positionEmbedding, _finalNormWeight, _finalNormBias;
    private readonly ClipEncoderLayer[] _layers;

    public ClipTextTower(ClipTextConfig config, ParameterBuilder p)
    {
        _config = config;
        var c = config.HiddenSize;
        _tokenEmbedding = p.Weight("embeddings.token_embedding.weight", config.VocabSize, c);
        _positionEmbedding = p.Weight("embeddings.position_embedding.weight", config.MaxPositionEmbeddings, c);
        _layers = new ClipEncoderLayer[config.NumHiddenLayers];
        for (var i = 0; i < _layers.Length; i++)
            _layers[i] = new ClipEncoderLayer(c, config.NumAttentionHeads, config.IntermediateSize, config.LayerNormEps, config.HiddenAct, p.Scope($"encoder.layers.{i}"));
        _finalNormWeight = p.NormWeight("final_layer_norm.weight", c);
        _finalNormBias = p.Bias("final_layer_norm.bias", c);
    }

    /// <param name="inputIds">[B, L] integer ids</param>
    /// <param name="attentionMask">[B, L], 1 for real tokens and 0 for padding; null attends to every position</param>
    /// <returns>[B, C_t] pooled output</returns>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask, ClipTrace? trace = null)
    {
        if (inputIds.Rank != 2) throw new ArgumentException($"CLIP input_ids must be [B, L], got {inputIds.Shape}");
        var (b, l) = (inputIds.Shape[0], inputIds.Shape[1]);
        if (l > _config.MaxPositionEmbeddings)
            throw new ArgumentException($"CLIP text length {l} exceeds max_position_embeddings {_config.MaxPositionEmbeddings}");
        if (attentionMask is not null && attentionMask.Shape != inputIds.Shape)
            throw new ArgumentException($"CLIP attention_mask has shape {attentionMask.Shape}, expected {inputIds.Shape} like input_ids");
        var ids = inputIds.ToLongArray();
        foreach (var id in ids)
            if (id < 0 || id >= _config.VocabSize) throw new ArgumentException($"CLIP token id {id} is outside the vocabulary [0, {_config.VocabSize})");

        var device = _tokenEmbedding.Device;
        var ids64 = (inputIds.DType == DType.I64 ? inputIds : Tensor.FromArray(ids, b, l)).To(device);
        var x = Functional.Embedding(_tokenEmbedding, ids64) + _positionEmbedding.Narrow(0, 0, l);
        trace?.TextHiddenStates.Add(x);

        var mask = EagerAttention.CausalMask(b, l, KeyMask(attentionMask, b, l)).To(device);
        foreach (var layer in _layers)
        {
            x = layer.Forward(x, mask);
            trace?.TextHiddenStates.Add(x);
        }
        x = Functional.LayerNorm(x, _finalNormWeight, _finalNormBias, _config.LayerNormEps);

        var eos = EosPositions(ids, b, l, _config.EosTokenId);
        var rows = Tensor.FromArray(eos.Select((pos, row) => (long)(row * l + pos)).ToArray(), b).To(device);
        var pooled = x.Reshape(b * l, _config.HiddenSize).IndexSelect(0, rows);
        if (trace is not null)
        {
            trace.TextLastHiddenState = x;
            trace.EosPositions = eos;
            trace.TextPooledOutput = pooled;
        }
        return pooled;
    }

    /// <summary>
    /// The pooled position of every row of ids [B·L] (row-major). The branch is on the config value: the legacy
    /// eos_token_id 2 pools at the first maximum id of each row, any other value at the first position holding it.
    /// </summary>
    public static int[] EosPositions(long[] ids, int batch, int length, int eosTokenId)
    {
        if (ids.Length != batch * length) throw new ArgumentException($"{ids.Length} ids do not fill [{batch}, {length}]");
        var positions = new int[batch];
        for (var r = 0; r < batch; r++)
        {
            var row = ids.AsSpan(r * length, length);
            if (eosTokenId == LegacyEosTokenId)
            {
                var best = 0;
                for (var i = 1; i < length; i++)
                    if (row[i] > row[best]) best = i;
                positions[r] = best;
            }
            else
            {
                var found = row.IndexOf(eosTokenId);
                positions[r] = found >= 0 ? found
                    : throw new ArgumentException($"CLIP input row {r} holds no eos_token_id {eosTokenId}; the text embedding is pooled there");
            }
        }
        return positions;
    }

    private static long[,]? KeyMask(Tensor? attentionMask, int b, int l)
    {
        if (attentionMask is null) return null;
        var values = attentionMask.ToLongArray();
        var keyMask = new long[b, l];
        for (var r = 0; r < b; r++)
            for (var i = 0; i < l; i++) keyMask[r, i] = values[r * l + i];
        return keyMask;
    }
}
