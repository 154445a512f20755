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
        ProjectionDim: 32,
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
    public static ClipModel Create(ulong seed = 7) => new(Config, new TinyInitSource(new RandomGenerator(seed)));

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

    /// <summary>
    /// Random weights scaled so the untrained towers already mix their inputs: token embeddings and the class embedding
    /// N(0, 1), position embeddings N(0, 0.1²), every other weight matrix N(0, 1/fan_in) (fan_in: all input
    /// dimensions), biases zero, norms one; the temperature starts where a fresh CLIPModel starts.
    /// </summary>
    /// <remarks>
    /// A flat N(0, 0.02²) makes every layer's update about a tenth of the 32-wide residual stream, so the text
    /// embedding, read at the end-of-text token, is mostly that token's own embedding and its position: captions
    /// differed by length more than by their words, and a style classifier on these embeddings could hardly see the
    /// words that make a caption stylized.
    /// </remarks>
    private sealed class TinyInitSource(RandomGenerator rng) : IParameterSource
    {
        private const double PositionStd = 0.1;

        public Tensor Get(string name, Shape shape, ParameterInit init)
        {
            if (name == "logit_scale") return Tensor.Full(shape, InitialLogitScale);
            if (init.Kind != ParameterInitKind.Normal) return new RandomParameterSource(rng).Get(name, shape, init);
            var std = Std(name, shape);
            var values = new float[shape.NumElements];
            for (long i = 0; i < values.LongLength; i++) values[i] = (float)(rng.NextNormal() * std);
            return Tensor.FromFloats(values, shape);
        }

        private static double Std(string name, Shape shape)
        {
            if (name.EndsWith("token_embedding.weight", StringComparison.Ordinal) || name.EndsWith("class_embedding", StringComparison.Ordinal)) return 1.0;
            if (name.EndsWith("position_embedding.weight", StringComparison.Ordinal)) return PositionStd;
            long fanIn = shape.NumElements / shape[0];
            return 1.0 / Math.Sqrt(fanIn);
        }
    }
}
