using StyleAlign.Engine.Core;

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

    /// <summary><c>pad_token_id</c>, null when the config has none (Qwen2.5-VL's own configs leave it out).</summary>
    public int? PadTokenId { get; init; }

    /// <summary><c>vision_token_id</c> (the vision pad), null when the config has none.</summary>
    public int? VisionTokenId { get; init; }

    /// <summary>Not stored in the JSON: hidden_size / num_attention_heads.</summary>
    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Equal when they describe the same model: the optional pad and vision-pad ids, which the model never
    /// reads (only the tokenizer check does), are left out.</summary>
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

    /// <summary>The function of the MLP's gate (<c>hidden_act</c>).</summary>
    public UnaryKind Activation() => HfActivation.Kind(HiddenAct);

    internal static Qwen25VLTextConfig Read(ConfigJson json)
    {
        // Text keys sit at the top level in the flat 2.5 form and under text_config in newer saves;
        // token ids sit at the top level in v5 and may be repeated under text_config in 4.5x.
        static string[] TextKey(string key) => [$"text_config.{key}", key];
        static string[] TopKey(string key) => [key, $"text_config.{key}"];

        int vocab = json.Int(1, ConfigLimits.MaxVocabSize, TextKey("vocab_size"));
        // Ids are checked against the vocabulary once it is known to be valid, else only against the limit.
        int idMax = (vocab > 0 ? vocab : ConfigLimits.MaxVocabSize) - 1;
        var config = new Qwen25VLTextConfig
        {
            HiddenSize = json.Int(1, ConfigLimits.MaxHiddenSize, TextKey("hidden_size")),
            NumHiddenLayers = json.Int(1, ConfigLimits.MaxLayers, TextKey("num_hidden_layers")),
            NumAttentionHeads = json.Int(1, ConfigLimits.MaxHeads, TextKey("num_attention_heads")),
            NumKeyValueHeads = json.Int(1, ConfigLimits.MaxHeads, TextKey("num_key_value_heads")),
            IntermediateSize = json.Int(1, ConfigLimits.MaxIntermediateSize, TextKey("intermediate_size")),
            VocabSize = vocab,
            RmsNormEps = json.PositiveDouble(TextKey("rms_norm_eps")),
            RopeTheta = json.PositiveDouble("text_config.rope_theta", "text_config.rope_parameters.rope_theta",
                "rope_theta", "rope_parameters.rope_theta"),
            MropeSection = json.IntArray(0, ConfigLimits.MaxHiddenSize, "text_config.rope_parameters.mrope_section",
                "text_config.rope_scaling.mrope_section", "rope_scaling.mrope_section", "rope_parameters.mrope_section"),
            TieWordEmbeddings = json.Bool(TopKey("tie_word_embeddings")),
            MaxPositionEmbeddings = json.Int(1, ConfigLimits.MaxPositionEmbeddings, TextKey("max_position_embeddings")),
            HiddenAct = json.Activation(TextKey("hidden_act")),
            BosTokenId = json.Int(0, idMax, TextKey("bos_token_id")),
            EosTokenId = json.Int(0, idMax, TextKey("eos_token_id")),
            ImageTokenId = json.Int(0, idMax, TopKey("image_token_id")),
            VideoTokenId = json.Int(0, idMax, TopKey("video_token_id")),
            VisionStartTokenId = json.Int(0, idMax, TopKey("vision_start_token_id")),
            VisionEndTokenId = json.Int(0, idMax, TopKey("vision_end_token_id")),
            // The engine takes these from the tokenizer; they are kept to be checked against it.
            PadTokenId = OptionalId(json, idMax, TopKey("pad_token_id")),
            VisionTokenId = OptionalId(json, idMax, TopKey("vision_token_id")),
        };
        CheckUnimplemented(json, TextKey);

        bool headsDivide = json.CheckMultiple("hidden_size", config.HiddenSize, "num_attention_heads", config.NumAttentionHeads);
        json.CheckMultiple("num_attention_heads", config.NumAttentionHeads, "num_key_value_heads", config.NumKeyValueHeads);
        if (headsDivide && json.Has(MropeKeys))
            json.Check(config.MropeSection.Length == 3 && config.MropeSection.Sum() * 2 == config.HeadDim,
                $"'mrope_section' = [{string.Join(", ", config.MropeSection)}] must have 3 parts summing to head_dim / 2 = {config.HeadDim / 2} (head_dim = hidden_size / num_attention_heads = {config.HeadDim})");
        return config;
    }

    private static int? OptionalId(ConfigJson json, int idMax, string[] keys) =>
        json.Has(keys) ? json.IntOr(0, 0, idMax, keys) : null;

    private static readonly string[] MropeKeys =
        ["text_config.rope_parameters.mrope_section", "text_config.rope_scaling.mrope_section", "rope_scaling.mrope_section", "rope_parameters.mrope_section"];

    /// <summary>Values transformers would honour that change what the model computes and that the engine does not
    /// implement: refused rather than ignored.</summary>
    private static void CheckUnimplemented(ConfigJson json, Func<string, string[]> textKey)
    {
        string[] ropeTypes = ["default", "mrope"];
        json.OneOf(ropeTypes, "default", "rope_scaling.type", "rope_scaling.rope_type", "rope_parameters.type", "rope_parameters.rope_type",
            "text_config.rope_scaling.type", "text_config.rope_scaling.rope_type", "text_config.rope_parameters.type",
            "text_config.rope_parameters.rope_type");
        json.RequireBoolIfPresent(false, "sliding-window attention is not implemented", textKey("use_sliding_window"));
        json.RequireIfPresent(0, "attention dropout is not implemented", textKey("attention_dropout"));
    }
}
