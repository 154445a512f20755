using System.Globalization;
using System.Text.Json;
using StyleAlign.Engine.Models;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Trainers.Data.Import;

namespace StyleAlign.Trainers.Clip;

/// <summary>Writes a fine-tuned CLIP as an ordinary checkpoint folder: the source folder's config, tokenizer and
/// preprocessor files, the weights as one model.safetensors, and clip_training.json describing the run.</summary>
public static class ClipCheckpoint
{
    public const string TrainingRecordFileName = "clip_training.json";

    public static void Write(string sourceFolder, ClipModel model, string outFolder, ClipTrainingOptions options, ClipTrainingReport report)
    {
        using var staged = new StagedOutput(outFolder);
        foreach (var file in Directory.EnumerateFiles(sourceFolder))
        {
            var name = Path.GetFileName(file);
            if (name.EndsWith(".safetensors", StringComparison.Ordinal) || name == "model.safetensors.index.json" || name == TrainingRecordFileName) continue;
            File.Copy(file, Path.Combine(staged.Path, name));
        }
        ModelWriter.WriteParameters(Path.Combine(staged.Path, "model.safetensors"), model.Parameters, new Dictionary<string, string> { ["format"] = "pt" });
        File.WriteAllText(Path.Combine(staged.Path, TrainingRecordFileName), TrainingRecord(sourceFolder, options, report));
        staged.Commit();
    }

    private static string TrainingRecord(string sourceFolder, ClipTrainingOptions options, ClipTrainingReport report)
    {
        var record = new
        {
            source = Path.GetFullPath(sourceFolder),
            epochs = options.Epochs,
            batch_size = options.BatchSize,
            learning_rate = options.LearningRate,
            weight_decay = options.WeightDecay,
            warmup_ratio = options.WarmupRatio,
            freeze_vision = options.FreezeVision,
            captions = options.Captions.ToString().ToLowerInvariant(),
            seed = options.Seed.ToString(CultureInfo.InvariantCulture),
            steps = report.Steps,
            train_images = report.TrainImages,
            train_captions = report.TrainCaptions,
            history = report.Epochs.Select(e => new { epoch = e.Epoch, loss = e.TrainLoss, validation_loss = e.ValidationLoss, validation_retrieval = e.ValidationRetrieval, logit_scale = e.LogitScale }),
        };
        return JsonSerializer.Serialize(record, new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
