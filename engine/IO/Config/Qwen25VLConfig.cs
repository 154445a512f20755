using System.Text;
using System.Text.Json;

namespace StyleAlign.Engine.IO.Config;

/// <summary>
/// A Qwen2.5-VL config.json. Reads the flat 2.5 hub form (text keys at the top level, <c>rope_scaling</c>), the
/// 4.5x form (a <c>text_config</c> copy) and the v5 form (<c>text_config</c> with <c>rope_parameters</c>).
/// </summary>
public sealed record Qwen25VLConfig(Qwen25VLTextConfig Text, Qwen25VLVisionConfig Vision)
{
    public const string ModelType = "qwen2_5_vl";

    /// <summary>A config.json file or a checkpoint folder holding one.</summary>
    public static Qwen25VLConfig Load(string path) => Read(ConfigJson.Load(path));

    public static Qwen25VLConfig Parse(string json, string sourcePath) => Read(ConfigJson.Parse(json, sourcePath));

    private static Qwen25VLConfig Read(ConfigJson config)
    {
        config.OneOf([ModelType], null, "model_type");
        var text = Qwen25VLTextConfig.Read(config);
        var vision = Qwen25VLVisionConfig.Read(config);
        if (vision.OutHiddenSize > 0 && text.HiddenSize > 0)
            config.Check(vision.OutHiddenSize == text.HiddenSize,
                $"'vision_config.out_hidden_size' = {vision.OutHiddenSize} must equal the decoder 'hidden_size' = {text.HiddenSize}");
        config.ThrowIfProblems(ModelType);
        return new Qwen25VLConfig(text, vision);
    }

    /// <summary>
    /// Checks that a tokenizer fits this model: its ids stay inside vocab_size, the image and vision markers are the
    /// tokens the config names, and the config's bos, eos and pad ids name added tokens. Throws one single-line
    /// error naming every disagreement (key, the config's value, the tokenizer's).
    /// </summary>
    /// <param name="configPath">the config.json (or its folder) these values came from, named in the message</param>
    public void CheckTokenizer(Tokenizers.QwenTokenizer tokenizer, string configPath)
    {
        var problems = TokenizerMismatches(tokenizer);
        if (problems.Count > 0)
            throw new HfConfigException(
                $"{Path.GetFullPath(configPath)}: does not match the tokenizer {tokenizer.Source}: {string.Join("; ", problems)}");
    }

    /// <summary>Each way the tokenizer disagrees with this config, as "'key' = config value but the tokenizer's …";
    /// empty when they agree.</summary>
    public IReadOnlyList<string> TokenizerMismatches(Tokenizers.QwenTokenizer tokenizer)
    {
        var problems = new List<string>();
        if (tokenizer.VocabSize > Text.VocabSize)
            problems.Add($"the tokenizer's ids reach {tokenizer.VocabSize - 1} but 'vocab_size' is {Text.VocabSize}");
        void Same(string key, int configured, int tokenizerId, string token)
        {
            if (configured != tokenizerId)
                problems.Add($"'{key}' = {configured} but the tokenizer's {token} is {tokenizerId}");
        }
        Same("image_token_id", Text.ImageTokenId, tokenizer.ImagePadId, Tokenizers.QwenTokenizer.ImagePad);
        Same("vision_start_token_id", Text.VisionStartTokenId, tokenizer.VisionStartId, Tokenizers.QwenTokenizer.VisionStart);
        Same("vision_end_token_id", Text.VisionEndTokenId, tokenizer.VisionEndId, Tokenizers.QwenTokenizer.VisionEnd);
        if (tokenizer.VideoPadId >= 0) Same("video_token_id", Text.VideoTokenId, tokenizer.VideoPadId, Tokenizers.QwenTokenizer.VideoPad);
        if (Text.VisionTokenId is { } visionPad && tokenizer.TryTokenToId(Tokenizers.QwenTokenizer.VisionPad, out int tokenizerVisionPad))
            Same("vision_token_id", visionPad, tokenizerVisionPad, Tokenizers.QwenTokenizer.VisionPad);
        // Generation stops at, and batches pad with, tokens the tokenizer adds; an id that is an ordinary word is a mismatch.
        foreach (var (key, id) in new[] { ("bos_token_id", (int?)Text.BosTokenId), ("eos_token_id", Text.EosTokenId), ("pad_token_id", Text.PadTokenId) })
        {
            if (id is not { } value) continue;
            if (tokenizer.IdToToken(value) is not { } token) problems.Add($"'{key}' = {value} names no token of the tokenizer");
            else if (!tokenizer.IsAddedToken(value)) problems.Add($"'{key}' = {value} is the tokenizer's ordinary token '{token}', not one of its special tokens");
        }
        return problems;
    }

    /// <summary>The flat 2.5 form that transformers 4.49+ and v5 both read.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("architectures");
            json.WriteStringValue("Qwen2_5_VLForConditionalGeneration");
            json.WriteEndArray();
            json.WriteString("model_type", ModelType);
            json.WriteNumber("attention_dropout", 0.0);
            json.WriteNumber("bos_token_id", Text.BosTokenId);
            json.WriteNumber("eos_token_id", Text.EosTokenId);
            json.WriteString("hidden_act", Text.HiddenAct);
            json.WriteNumber("hidden_size", Text.HiddenSize);
            json.WriteNumber("image_token_id", Text.ImageTokenId);
            json.WriteNumber("intermediate_size", Text.IntermediateSize);
            json.WriteNumber("max_position_embeddings", Text.MaxPositionEmbeddings);
            json.WriteNumber("max_window_layers", Text.NumHiddenLayers);
            json.WriteNumber("num_attention_heads", Text.NumAttentionHeads);
            json.WriteNumber("num_hidden_layers", Text.NumHiddenLayers);
            json.WriteNumber("num_key_value_heads", Text.NumKeyValueHeads);
            if (Text.PadTokenId is { } pad) json.WriteNumber("pad_token_id", pad);
            json.WriteNumber("rms_norm_eps", Text.RmsNormEps);
            json.WriteStartObject("rope_scaling");
            WriteIntArray(json, "mrope_section", Text.MropeSection);
            json.WriteString("rope_type", "default");
            json.WriteString("type", "default");
            json.WriteEndObject();
            json.WriteNumber("rope_theta", Text.RopeTheta);
            json.WriteNumber("sliding_window", Text.MaxPositionEmbeddings);
            json.WriteBoolean("tie_word_embeddings", Text.TieWordEmbeddings);
            json.WriteBoolean("use_cache", true);
            json.WriteBoolean("use_sliding_window", false);
            json.WriteNumber("video_token_id", Text.VideoTokenId);
            json.WriteStartObject("vision_config");
            json.WriteNumber("depth", Vision.Depth);
            WriteIntArray(json, "fullatt_block_indexes", Vision.FullattBlockIndexes);
            json.WriteString("hidden_act", Vision.HiddenAct);
            json.WriteNumber("hidden_size", Vision.HiddenSize);
            json.WriteNumber("in_channels", Vision.InChans);
            json.WriteNumber("intermediate_size", Vision.IntermediateSize);
            json.WriteString("model_type", ModelType);
            json.WriteNumber("num_heads", Vision.NumHeads);
            json.WriteNumber("out_hidden_size", Vision.OutHiddenSize);
            json.WriteNumber("patch_size", Vision.PatchSize);
            json.WriteNumber("spatial_merge_size", Vision.SpatialMergeSize);
            json.WriteNumber("temporal_patch_size", Vision.TemporalPatchSize);
            json.WriteNumber("tokens_per_second", Vision.TokensPerSecond);
            json.WriteNumber("window_size", Vision.WindowSize);
            json.WriteEndObject();
            json.WriteNumber("vision_end_token_id", Text.VisionEndTokenId);
            json.WriteNumber("vision_start_token_id", Text.VisionStartTokenId);
            if (Text.VisionTokenId is { } visionPad) json.WriteNumber("vision_token_id", visionPad);
            json.WriteNumber("vocab_size", Text.VocabSize);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writes <see cref="ToJson"/> atomically; a folder gets config.json.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(HfConfig.ConfigFilePathForWrite(path), ToJson());

    internal static void WriteIntArray(Utf8JsonWriter json, string key, int[] values)
    {
        json.WriteStartArray(key);
        foreach (int value in values) json.WriteNumberValue(value);
        json.WriteEndArray();
    }
}
