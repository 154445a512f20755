using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Nn;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Engine.Models.Qwen25VL;

/// <summary>
/// The built-in tiny Qwen2.5-VL: a fixed small configuration with deterministic random weights and the tiny
/// byte-level tokenizer, written as an ordinary Hugging Face checkpoint folder (config.json, model.safetensors,
/// tokenizer.json, preprocessor_config.json, generation_config.json). The demo and the tests train it.
/// </summary>
public static class TinyQwen
{
    public const ulong DefaultSeed = 20240601;

    /// <summary>Images are resized to at most 112×112 px (8×8 patches, 16 image tokens).</summary>
    public const int MaxPixels = 112 * 112;

    public static Qwen25VLConfig Config { get; } = new(
        new Qwen25VLTextConfig
        {
            HiddenSize = 64,
            NumHiddenLayers = 2,
            NumAttentionHeads = 4,
            NumKeyValueHeads = 2,
            IntermediateSize = 128,
            VocabSize = TinyTokenizers.QwenSpecialIds.VocabSize,
            RmsNormEps = 1e-6,
            RopeTheta = 1_000_000,
            MropeSection = [2, 3, 3],
            TieWordEmbeddings = true,
            MaxPositionEmbeddings = 2048,
            HiddenAct = "silu",
            BosTokenId = TinyTokenizers.QwenSpecialIds.EndOfText,
            EosTokenId = TinyTokenizers.QwenSpecialIds.ImEnd,
            ImageTokenId = TinyTokenizers.QwenSpecialIds.ImagePad,
            VideoTokenId = TinyTokenizers.QwenSpecialIds.VideoPad,
            VisionStartTokenId = TinyTokenizers.QwenSpecialIds.VisionStart,
            VisionEndTokenId = TinyTokenizers.QwenSpecialIds.VisionEnd,
        },
        new Qwen25VLVisionConfig
        {
            Depth = 2,
            HiddenSize = 32,
            NumHeads = 2,
            IntermediateSize = 64,
            HiddenAct = "silu",
            PatchSize = 14,
            TemporalPatchSize = 2,
            SpatialMergeSize = 2,
            WindowSize = 56,
            FullattBlockIndexes = [1],
            OutHiddenSize = 64,
            InChans = 3,
            TokensPerSecond = 2,
        });

    /// <summary>Writes the folder. An existing non-empty folder is an error unless <paramref name="force"/>.</summary>
    public static void Write(string folder, ulong seed = DefaultSeed, bool force = false)
    {
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any() && !force)
            throw new IOException($"'{folder}' is not empty (pass --force to overwrite)");
        Directory.CreateDirectory(folder);
        TinyTokenizers.WriteQwen(folder);
        Config.Save(folder);
        QwenImageProcessor.For(Config.Vision, MaxPixels).Save(folder);
        GenerationConfigFile.Write(folder, TinyTokenizers.QwenSpecialIds.EndOfText,
            [TinyTokenizers.QwenSpecialIds.ImEnd, TinyTokenizers.QwenSpecialIds.EndOfText], TinyTokenizers.QwenSpecialIds.EndOfText);
        var model = Qwen25VLModel.Create(Config, new RandomParameterSource(seed, std: 0.1));
        ModelWriter.WriteParameters(Path.Combine(folder, "model.safetensors"), model.Parameters);
    }
}
