using System.Globalization;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Vision;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Engine.Models.Clip;

/// <summary>
/// A built-in miniature CLIP written as an ordinary Hugging Face folder (config.json, model.safetensors, the tiny
/// CLIP tokenizer, preprocessor_config.json): deterministic random weights, 32-px images in 8-px patches.
/// </summary>
public static class TinyClip
{
    public const int ImageSize = 32;
    public const int PatchSize = 8;

    /// <summary>ln(1/0.07), the value a freshly initialized CLIPModel stores.</summary>
    public const double InitialLogitScale = 2.6592;

    public static ClipConfig Config { get; } = new(
        new ClipTextConfig
        {
            VocabSize = TinyTokenizers.ClipSpecialIds.VocabSize,
            HiddenSize = 32,
            NumHiddenLayers = 2,
            NumAttentionHeads = 2,
            IntermediateSize = 64,
            MaxPositionEmbeddings = 48,
            LayerNormEps = 1e-5,
            HiddenAct = "quick_gelu",
            EosTokenId = TinyTokenizers.ClipSpecialIds.EndOfText,
            BosTokenId = TinyTokenizers.ClipSpecialIds.StartOfText,
            PadTokenId = TinyTokenizers.ClipSpecialIds.EndOfText,
        },
        new ClipVisionConfig
        {
            HiddenSize = 32,
            NumHiddenLayers = 2,
            NumAttentionHeads = 2,
            IntermediateSize = 64,
            ImageSize = ImageSize,
            PatchSize = PatchSize,
            NumChannels = 3,
            LayerNormEps = 1e-5,
            HiddenAct = "quick_gelu",
        },
        ProjectionDim: 16,
        LogitScaleInitValue: InitialLogitScale);

    /// <summary>Writes the folder (created if needed; existing files of the same names are replaced atomically).</summary>
    public static void Write(string folder, ulong seed = 7)
    {
        Directory.CreateDirectory(folder);
        Config.Save(folder);
        ModelWriter.WriteParameters(Path.Combine(folder, "model.safetensors"), Create(seed).Parameters);
        TinyTokenizers.WriteClip(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "preprocessor_config.json"), PreprocessorJson());
    }

    /// <summary>The same model in memory, without writing anything.</summary>
    public static ClipModel Create(ulong seed = 7) => new(Config, new TinyInitSource(new RandomParameterSource(seed)));

    private static string PreprocessorJson()
    {
        static string Triple(IReadOnlyList<float> v) => string.Join(", ", v.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
        return $$"""
            {
              "crop_size": { "height": {{ImageSize}}, "width": {{ImageSize}} },
              "do_center_crop": true,
              "do_convert_rgb": true,
              "do_normalize": true,
              "do_rescale": true,
              "do_resize": true,
              "image_mean": [{{Triple(QwenImageProcessor.ClipMean)}}],
              "image_processor_type": "CLIPImageProcessor",
              "image_std": [{{Triple(QwenImageProcessor.ClipStd)}}],
              "resample": 3,
              "rescale_factor": 0.00392156862745098,
              "size": { "shortest_edge": {{ImageSize}} }
            }

            """;
    }

    /// <summary>Random weights, except the temperature, which starts where a fresh CLIPModel starts.</summary>
    private sealed class TinyInitSource(IParameterSource inner) : IParameterSource
    {
        public Tensor Get(string name, Shape shape, ParameterInit init) =>
            name == "logit_scale" ? Tensor.Full(shape, InitialLogitScale) : inner.Get(name, shape, init);
    }
}
