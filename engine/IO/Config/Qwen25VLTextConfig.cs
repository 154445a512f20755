namespace StyleAlign.Engine.IO.Config;

/// <summary>The Qwen2.5-VL language decoder's config.json values (field names mirror the JSON keys).</summary>
public sealed record Qwen25VLTextConfig
{
    public required int HiddenSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int NumKeyValueHeads { get; init; }
    public required int IntermediateSize { get; init; }
    public required int VocabSize { get; init; }
    public required double RmsNormEps { get; init; }
    public required double RopeTheta { get; init; }

    /// <summary>Rotary half-dimensions given to the temporal, height and width position ids; sums to HeadDim / 2.</summary>
    public required int[] MropeSection { get; init; }

    public required bool TieWordEmbeddings { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    public required string HiddenAct { get; init; }
    public required int BosTokenId { get; init; }
    public required int EosTokenId { get; init; }
    public required int ImageTokenId { get; init; }
    public required int VideoTokenId { get; init; }
    public required int VisionStartTokenId { get; init; }
    public required int VisionEndTokenId { get; init; }

    /// <summary>Not stored in the JSON: hidden_size / num_attention_heads.</summary>
    public int HeadDim => HiddenSize / NumAttentionHeads;

    public bool Equals(Qwen25VLTextConfig? other) =>
        other is not null
        && HiddenSize == other.HiddenSize && NumHiddenLayers == other.NumHiddenLayers
        && NumAttentionHeads == other.NumAttentionHeads && NumKeyValueHeads == other.NumKeyValueHeads
        && IntermediateSize == other.IntermediateSize && VocabSize == other.VocabSize
        && RmsNormEps.Equals(other.RmsNormEps) && RopeTheta.Equals(other.RopeTheta)
        && MropeSection.AsSpan().SequenceEqual(other.MropeSection)
        && TieWordEmbeddings == other.TieWordEmbeddings && MaxPositionEmbeddings == other.MaxPositionEmbeddings
        && HiddenAct == other.HiddenAct && BosTokenId == other.BosTokenId && EosTokenId == other.EosTokenId
        && ImageTokenId == other.ImageTokenId && VideoTokenId == other.VideoTokenId
        && VisionStartTokenId == other.VisionStartTokenId && VisionEndTokenId == other.VisionEndTokenId;

    public override int GetHashCode() =>
        HashCode.Combine(HiddenSize, NumHiddenLayers, NumAttentionHeads, NumKeyValueHeads, IntermediateSize, VocabSize, HiddenAct);

    internal static Qwen25VLTextConfig Read(ConfigJson json)
    {
        // Text keys sit at the top level in the flat 2.5 form and under text_config in newer saves;
        // token ids sit at the top level in v5 and may be repeated under text_config in 4.5x.
        static string[] TextKey(string key) => [$"text_config.{key}", key];
        static string[] TopKey(string key) => [key, $"text_config.{key}"];

        var config = new Qwen25VLTextConfig
        {
            HiddenSize = json.Int(TextKey("hidden_size")),
            NumHiddenLayers = json.Int(TextKey("num_hidden_layers")),
            NumAttentionHeads = json.Int(TextKey("num_attention_heads")),
            NumKeyValueHeads = json.Int(TextKey("num_key_value_heads")),
            IntermediateSize = json.Int(TextKey("intermediate_size")),
            VocabSize = json.Int(TextKey("vocab_size")),
            RmsNormEps = json.Double(TextKey("rms_norm_eps")),
            RopeTheta = json.Double("text_config.rope_theta", "text_config.rope_parameters.rope_theta",
                "rope_theta", "rope_parameters.rope_theta"),
            MropeSection = json.IntArray("text_config.rope_parameters.mrope_section", "text_config.rope_scaling.mrope_section",
                "rope_scaling.mrope_section", "rope_parameters.mrope_section"),
            TieWordEmbeddings = json.Bool(TopKey("tie_word_embeddings")),
            MaxPositionEmbeddings = json.Int(TextKey("max_position_embeddings")),
            HiddenAct = json.String(TextKey("hidden_act")),
            BosTokenId = json.Int(TextKey("bos_token_id")),
            EosTokenId = json.Int(TextKey("eos_token_id")),
            ImageTokenId = json.Int(TopKey("image_token_id")),
            VideoTokenId = json.Int(TopKey("video_token_id")),
            VisionStartTokenId = json.Int(TopKey("vision_start_token_id")),
            VisionEndTokenId = json.Int(TopKey("vision_end_token_id")),
        };

        json.Check(config.NumAttentionHeads > 0 && config.HiddenSize % config.NumAttentionHeads == 0,
            $"hidden_size {config.HiddenSize} must be a positive multiple of num_attention_heads {config.NumAttentionHeads}");
        json.Check(config.NumKeyValueHeads > 0 && config.NumAttentionHeads % config.NumKeyValueHeads == 0,
            $"num_attention_heads {config.NumAttentionHeads} must be a multiple of num_key_value_heads {config.NumKeyValueHeads}");
        if (config.NumAttentionHeads > 0 && config.MropeSection.Length > 0)
            json.Check(config.MropeSection.Length == 3 && config.MropeSection.Sum() * 2 == config.HeadDim,
                $"mrope_section [{string.Join(", ", config.MropeSection)}] must have 3 parts summing to head_dim / 2 = {config.HeadDim / 2}");
        return config;
    }
}
