using NUnit.Framework;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Vision;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Tests.Training;

/// <summary>A tiny Qwen2.5-VL folder (the golden fixture's weights and processor plus the tiny tokenizer) and synthetic data.</summary>
internal static class TinyTraining
{
    private static string Fixture(params string[] parts) =>
        Path.Combine([TestContext.CurrentContext.TestDirectory, "fixtures", "qwen25vl_tiny", .. parts]);

    /// <summary>Writes config.json, model.safetensors, preprocessor_config.json and the tokenizer files into a folder.</summary>
    public static string WriteModelFolder(string folder)
    {
        Directory.CreateDirectory(folder);
        File.Copy(Fixture("config.json"), Path.Combine(folder, "config.json"), overwrite: true);
        File.Copy(Fixture("model.safetensors"), Path.Combine(folder, "model.safetensors"), overwrite: true);
        File.Copy(Fixture("processor", "preprocessor_config.json"), Path.Combine(folder, "preprocessor_config.json"), overwrite: true);
        TinyTokenizers.WriteQwen(folder);
        return folder;
    }

    /// <summary>Humor-only synthetic pairs: train and validation JSONL paths.</summary>
    public static (string Train, string Eval) WriteData(string folder, int train, int eval)
    {
        SyntheticStyleDataset.Generate(folder, new SyntheticOptions { TrainCount = train, ValidationCount = eval, TestCount = 0, Styles = [SyntheticCaptions.Humor], ImageSize = 32 });
        return (Path.Combine(folder, "train.jsonl"), Path.Combine(folder, "validation.jsonl"));
    }

    public static PreferenceCollator Collator(string modelFolder, int maxCaptionTokens = 48) =>
        new(QwenTokenizer.Load(modelFolder), QwenImageProcessor.Load(modelFolder), new CollatorOptions { MaxCaptionTokens = maxCaptionTokens });

    public static Qwen25VLModel Model(string modelFolder) => Qwen25VLModel.Load(modelFolder);

    /// <summary>A tiny model folder and humor pairs for train and evaluation, written under <paramref name="root"/> and loaded.</summary>
    public static (string Model, IReadOnlyList<PreferenceExample> Train, IReadOnlyList<PreferenceExample> Eval) WriteRun(string root, int train, int eval)
    {
        var model = WriteModelFolder(Path.Combine(root, "model"));
        var (trainPath, evalPath) = WriteData(Path.Combine(root, "data"), train, eval);
        return (model, PreferenceDataset.Load(trainPath).Examples, PreferenceDataset.Load(evalPath).Examples);
    }

    /// <summary>A tiny model, its collator and a few humor pairs, all written under <paramref name="temp"/>.</summary>
    public static (Qwen25VLModel Model, PreferenceCollator Collator, IReadOnlyList<PreferenceExample> Examples) Setup(TempDirectory temp, int examples = 2, int maxCaptionTokens = 8)
    {
        var modelDir = WriteModelFolder(Path.Combine(temp.Path, "model"));
        var (train, _) = WriteData(Path.Combine(temp.Path, "data"), examples, 0);
        return (Model(modelDir), Collator(modelDir, maxCaptionTokens), PreferenceDataset.Load(train).Examples);
    }
}
