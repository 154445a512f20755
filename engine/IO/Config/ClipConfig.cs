using System.Text;
using System.Text.Json;

namespace StyleAlign.Engine.IO.Config;

/// <summary>The text tower of a CLIP config.json (<c>text_config</c>).</summary>
public sealed record ClipTextConfig
{
    public required int VocabSize { get; init; }
    public required int HiddenSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int IntermediateSize { get; init; }
    public required int MaxPositionEmbeddings { get; init; }
    public required double LayerNormEps { get; init; }
    public required string HiddenAct { get; init; }

    /// <summary>The legacy hub value 2 makes transformers pool at the highest token id instead of at this id.</summary>
    public required int EosTokenId { get; init; }

    public required int BosTokenId { get; init; }
    public required int PadTokenId { get; init; }

    public int HeadDim => HiddenSize / NumAttentionHeads;
}

/// <summary>The vision tower of a CLIP config.json (<c>vision_config</c>).</summary>
public sealed record ClipVisionConfig
{
    public required int HiddenSize { get; init; }
    public required int NumHiddenLayers { get; init; }
    public required int NumAttentionHeads { get; init; }
    public required int IntermediateSize { get; init; }
    public required int ImageSize { get; init; }
    public required int PatchSize { get; init; }
    public required int NumChannels { get; init; }
    public required double LayerNormEps { get; init; }
    public required string HiddenAct { get; init; }

    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Patches per image plus the class token.</summary>
    public int NumPositions => (ImageSize / PatchSize) * (ImageSize / PatchSize) + 1;
}

/// <summary>A CLIPModel config.json.</summary>
public sealed record ClipConfig(ClipTextConfig Text, ClipVisionConfig Vision, int ProjectionDim, double LogitScaleInitValue)
{
    public const string ModelType = "clip";

    /// <summary>transformers' CLIPTextConfig defaults, used when a config omits them.</summary>
    private const int DefaultBosTokenId = 49406;
    private const int DefaultPadTokenId = 1;
    private const double DefaultLogitScaleInitValue = 2.6592;

    public static ClipConfig Load(string path) => Read(ConfigJson.Load(path));

    public static ClipConfig Parse(string json, string sourcePath) => Read(ConfigJson.Parse(json, sourcePath));

    private static ClipConfig Read(ConfigJson config)
    {
        config.OneOf([ModelType], null, "model_type");
        int vocab = config.Int(1, ConfigLimits.MaxVocabSize, "text_config.vocab_size");
        int idMax = (vocab > 0 ? vocab : ConfigLimits.MaxVocabSize) - 1;
        var text = new ClipTextConfig
        {
            VocabSize = vocab,
            HiddenSize = config.Int(1, ConfigLimits.MaxHiddenSize, "text_config.hidden_size"),
            NumHiddenLayers = config.Int(1, ConfigLimits.MaxLayers, "text_config.num_hidden_layers"),
            NumAttentionHeads = config.Int(1, ConfigLimits.MaxHeads, "text_config.num_attention_heads"),
            IntermediateSize = config.Int(1, ConfigLimits.MaxIntermediateSize, "text_config.intermediate_size"),
            MaxPositionEmbeddings = config.Int(1, ConfigLimits.MaxPositionEmbeddings, "text_config.max_position_embeddings"),
            LayerNormEps = config.PositiveDouble("text_config.layer_norm_eps"),
            HiddenAct = config.Activation("text_config.hidden_act"),
            EosTokenId = config.Int(0, idMax, "text_config.eos_token_id"),
            BosTokenId = config.IntOr(DefaultBosTokenId, 0, idMax, "text_config.bos_token_id"),
            PadTokenId = config.IntOr(DefaultPadTokenId, 0, idMax, "text_config.pad_token_id"),
        };
        var vision = new ClipVisionConfig
        {
            HiddenSize = config.Int(1, ConfigLimits.MaxHiddenSize, "vision_config.hidden_size"),
            NumHiddenLayers = config.Int(1, ConfigLimits.MaxLayers, "vision_config.num_hidden_layers"),
            NumAttentionHeads = config.Int(1, ConfigLimits.MaxHeads, "vision_config.num_attention_heads"),
            IntermediateSize = config.Int(1, ConfigLimits.MaxIntermediateSize, "vision_config.intermediate_size"),
            ImageSize = config.Int(1, ConfigLimits.MaxImageSide, "vision_config.image_size"),
            PatchSize = config.Int(1, ConfigLimits.MaxPatchSize, "vision_config.patch_size"),
            NumChannels = config.Int(ConfigLimits.ImageChannels, ConfigLimits.ImageChannels, "vision_config.num_channels"),
            LayerNormEps = config.PositiveDouble("vision_config.layer_norm_eps"),
            HiddenAct = config.Activation("vision_config.hidden_act"),
        };
        int projectionDim = config.Int(1, ConfigLimits.MaxHiddenSize, "projection_dim");
        double logitScale = config.FiniteDoubleOr(DefaultLogitScaleInitValue, "logit_scale_init_value");
        config.RequireIfPresent(0, "attention dropout is not implemented", "text_config.attention_dropout", "vision_config.attention_dropout");

        config.CheckMultiple("text_config.hidden_size", text.HiddenSize, "text_config.num_attention_heads", text.NumAttentionHeads);
        config.CheckMultiple("vision_config.hidden_size", vision.HiddenSize, "vision_config.num_attention_heads", vision.NumAttentionHeads);
        if (config.CheckMultiple("vision_config.image_size", vision.ImageSize, "vision_config.patch_size", vision.PatchSize))
        {
            long side = vision.ImageSize / vision.PatchSize;
            config.Check(side * side < ConfigLimits.MaxPositionEmbeddings,
                $"'vision_config.image_size' / 'vision_config.patch_size' = {side} gives {side * side:N0} patches, more than the {ConfigLimits.MaxPositionEmbeddings:N0} positions a tower may have");
        }
        config.ThrowIfProblems(ModelType);
        return new ClipConfig(text, vision, projectionDim, logitScale);
    }

    /// <summary>
    /// Checks that a tokenizer fits this model: its ids stay inside vocab_size and the end-of-text id the text
    /// tower pools at is the tokenizer's (the legacy value 2 pools at the highest id instead and is not compared).
    /// </summary>
    /// <param name="configPath">the config.json (or its folder) these values came from, named in the message</param>
    public void CheckTokenizer(Tokenizers.ClipTokenizer tokenizer, string configPath)
    {
        var problems = new List<string>();
        if (tokenizer.VocabSize > Text.VocabSize)
            problems.Add($"the tokenizer's ids reach {tokenizer.VocabSize - 1} but 'text_config.vocab_size' is {Text.VocabSize}");
        if (Text.EosTokenId != LegacyEosTokenId && Text.EosTokenId != tokenizer.EosId)
            problems.Add($"'text_config.eos_token_id' = {Text.EosTokenId} but the tokenizer's {Tokenizers.ClipTokenizer.EndOfText} is {tokenizer.EosId}");
        HfConfigException.ThrowIfAny(problems, configPath, $"does not match the tokenizer {tokenizer.Source}");
    }

    /// <summary>The eos_token_id of the original OpenAI configs, with which transformers pools at the highest id.</summary>
    public const int LegacyEosTokenId = 2;

    /// <summary>The standard CLIPModel config.json layout.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("architectures");
            json.WriteStringValue("CLIPModel");
            json.WriteEndArray();
            json.WriteNumber("initializer_factor", 1.0);
            json.WriteNumber("logit_scale_init_value", LogitScaleInitValue);
            json.WriteString("model_type", ModelType);
            json.WriteNumber("projection_dim", ProjectionDim);
            json.WriteStartObject("text_config");
            json.WriteNumber("bos_token_id", Text.BosTokenId);
            json.WriteNumber("eos_token_id", Text.EosTokenId);
            json.WriteString("hidden_act", Text.HiddenAct);
            json.WriteNumber("hidden_size", Text.HiddenSize);
            json.WriteNumber("intermediate_size", Text.IntermediateSize);
            json.WriteNumber("layer_norm_eps", Text.LayerNormEps);
            json.WriteNumber("max_position_embeddings", Text.MaxPositionEmbeddings);
            json.WriteString("model_type", "clip_text_model");
            json.WriteNumber("num_attention_heads", Text.NumAttentionHeads);
            json.WriteNumber("num_hidden_layers", Text.NumHiddenLayers);
            json.WriteNumber("pad_token_id", Text.PadTokenId);
            json.WriteNumber("projection_dim", ProjectionDim);
            json.WriteNumber("vocab_size", Text.VocabSize);
            json.WriteEndObject();
            json.WriteStartObject("vision_config");
            json.WriteString("hidden_act", Vision.HiddenAct);
            json.WriteNumber("hidden_size", Vision.HiddenSize);
            json.WriteNumber("image_size", Vision.ImageSize);
            json.WriteNumber("intermediate_size", Vision.IntermediateSize);
            json.WriteNumber("layer_norm_eps", Vision.LayerNormEps);
            json.WriteString("model_type", "clip_vision_model");
            json.WriteNumber("num_attention_heads", Vision.NumAttentionHeads);
            json.WriteNumber("num_channels", Vision.NumChannels);
            json.WriteNumber("num_hidden_layers", Vision.NumHiddenLayers);
            json.WriteNumber("patch_size", Vision.PatchSize);
            json.WriteNumber("projection_dim", ProjectionDim);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes <see cref="ToJson"/> atomically; a folder gets config.json.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(HfConfig.ConfigFilePathForWrite(path), ToJson());
}
