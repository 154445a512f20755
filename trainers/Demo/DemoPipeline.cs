using StyleAlign.Engine.Core;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Models;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Vision;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Evaluation;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Trainers.Demo;

/// <summary>
/// The whole job on built-in data and models: tiny Qwen2.5-VL and tiny CLIP, the synthetic style dataset, the CLIP
/// style classifier, an SFT warm-up on factual captions, preference training toward the style, and WR-LogP /
/// Style-Acc before and after. Everything is generated in code; nothing is downloaded.
/// </summary>
public static class DemoPipeline
{
    public static DemoResult Run(DemoOptions options, Action<string> phase)
    {
        var clock = Stopwatch.StartNew();
        var root = Path.GetFullPath(options.OutputDirectory);
        Directory.CreateDirectory(root);
        string Dir(string name) => Path.Combine(root, name);

        phase("writing the tiny models and the synthetic style dataset");
        var baseModel = Dir("base-model");
        if (!File.Exists(Path.Combine(baseModel, "model.safetensors"))) TinyQwen.Write(baseModel, force: true);
        var clipDir = Dir("clip");
        if (!File.Exists(Path.Combine(clipDir, "model.safetensors"))) TinyClip.Write(clipDir);
        var dataDir = Dir("data");
        SyntheticStyleDataset.Generate(dataDir, new SyntheticOptions
        {
            TrainCount = options.TrainImages,
            ValidationCount = options.ValidationImages,
            TestCount = options.TestImages,
            Seed = options.Seed,
        });
        var load = DataLoadOptions.Preference with { Style = options.Style };
        var train = PreferenceDataset.Load(Path.Combine(dataDir, SyntheticStyleDataset.SplitFileName(DataSplits.Train)), load).Examples;
        var validation = PreferenceDataset.Load(Path.Combine(dataDir, SyntheticStyleDataset.SplitFileName(DataSplits.Validation)), load).Examples;
        var test = PreferenceDataset.Load(Path.Combine(dataDir, SyntheticStyleDataset.SplitFileName(DataSplits.Test)), load).Examples;

        phase("training the CLIP style classifier");
        using var judge = ClipStyleJudge.Train(clipDir, Dir("classifier"), Dir("clip-cache"), options.Style, train, validation, options.Classifier, options.Device);
        var ceiling = StyleEvaluator.Evaluate(test, null, null, judge).Summary.ClassifierCeiling ?? double.NaN;

        var tokenizer = QwenTokenizer.Load(baseModel);
        var model = Qwen25VLModel.Load(baseModel, options.Device, tokenizer: tokenizer);
        var processor = QwenImageProcessor.Load(baseModel);
        var collator = new PreferenceCollator(tokenizer, processor);

        phase("evaluating the base model");
        var before = QwenCaptionModel.Evaluate(model, collator, judge, test, options.MaxNewTokens);

        phase($"SFT warm-up on factual captions ({options.WarmupSteps} steps)");
        var factual = train.Select(e => e with { Prompt = StylePrompts.Factual, Chosen = e.Rejected!, Rejected = null }).ToList();
        var warmup = Recipe(TrainingMethod.Sft, baseModel, options);
        using (var trainables = new FullParameters(model, trainVision: false, keepReference: false))
            new Trainer(model, trainables, warmup.Objective(), collator, TrainerSettings(Dir("sft"), options.WarmupSteps, options.WarmupLearningRate, options)).Train(factual);
        var afterWarmup = WrLogP.Evaluate(model, collator, test, options.BatchSize).WinRate;

        phase($"{MethodName(options.Method)} toward {options.Style} ({options.PreferenceSteps} steps)");
        var preference = Recipe(options.Method, baseModel, options);
        var preferenceDir = Dir(MethodName(options.Method).ToLowerInvariant());
        if (options.Method == TrainingMethod.CwDpo)
        {
            using (var stage1 = new FullParameters(model, trainVision: false, keepReference: false))
                new Trainer(model, stage1, preference.Objective(gentle: true), collator, TrainerSettings(Path.Combine(preferenceDir, "stage1"), options.PreferenceSteps / 3, options.PreferenceLearningRate, options)).Train(train, validation);
            preferenceDir = Path.Combine(preferenceDir, "stage2");
        }
        var objective = options.Method == TrainingMethod.Sft ? preference.Objective() : preference.Objective(gentle: false);
        using (var trainables = new FullParameters(model, trainVision: false, keepReference: options.Method is TrainingMethod.Dpo or TrainingMethod.CwDpo))
            new Trainer(model, trainables, objective, collator, TrainerSettings(preferenceDir, options.PreferenceSteps, options.PreferenceLearningRate, options) with { EvalEvery = Math.Max(1, options.PreferenceSteps / 3) }).Train(train, validation);

        phase("evaluating the aligned model and writing the checkpoint");
        var after = QwenCaptionModel.Evaluate(model, collator, judge, test, options.MaxNewTokens);
        var aligned = Dir("aligned-model");
        WriteCheckpoint(model, baseModel, aligned);
        StyleEvaluationJson.WriteRecords(Path.Combine(root, "eval-before.jsonl"), before.Records);
        StyleEvaluationJson.WriteRecords(Path.Combine(root, "eval-after.jsonl"), after.Records);
        var samples = after.Records.Where(r => r.GeneratedCaption is not null).Take(5).Select(r => $"{r.Id}: {r.GeneratedCaption}").ToList();
        var result = new DemoResult(
            before.Summary.WrLogP ?? double.NaN, afterWarmup, after.Summary.WrLogP ?? double.NaN,
            before.Summary.StyleAcc ?? double.NaN, after.Summary.StyleAcc ?? double.NaN, ceiling,
            clock.Elapsed.TotalSeconds, root, samples)
        {
            ContentBefore = before.Content!,
            ContentAfter = after.Content!,
        };
        DemoReport.Write(Path.Combine(root, "report.md"), options, result);
        return result;
    }

    private static TrainingRecipe Recipe(TrainingMethod method, string weights, DemoOptions options) => new()
    {
        Method = method,
        WeightsPath = weights,
        DataPath = "",
        Full = true,
        // A chosen-caption NLL term keeps the tiny model fluent while the preference term moves it toward the style.
        SftWeight = method == TrainingMethod.SimPo ? options.PreferenceSftWeight : 0,
    };

    private static TrainerOptions TrainerSettings(string dir, int steps, double learningRate, DemoOptions options) => new()
    {
        OutputDirectory = dir,
        MaxSteps = Math.Max(1, steps),
        BatchSize = options.BatchSize,
        LearningRate = learningRate,
        WarmupRatio = 0.1,
        Seed = options.Seed,
        Quiet = true,
        Log = TextWriter.Null,
    };

    /// <summary>Writes the trained weights with the base folder's config, tokenizer and processor files: an ordinary checkpoint.</summary>
    private static void WriteCheckpoint(Qwen25VLModel model, string baseFolder, string folder)
    {
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.EnumerateFiles(baseFolder).Where(f => !f.EndsWith(".safetensors", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
        ModelWriter.WriteParameters(Path.Combine(folder, "model.safetensors"), model.Parameters);
    }

    public static string MethodName(TrainingMethod method) => method switch
    {
        TrainingMethod.Sft => "SFT",
        TrainingMethod.Dpo => "DPO",
        TrainingMethod.SimPo => "SimPO",
        _ => "CW-DPO",
    };
}

/// <summary>The run's report.md: what ran, the before/after table, sample captions, where the files are.</summary>
internal static class DemoReport
{
    public static void Write(string path, DemoOptions o, DemoResult r)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"# StyleAlign demo: {DemoPipeline.MethodName(o.Method)} toward {o.Style}");
        sb.AppendLine();
        sb.AppendLine(c, $"Built-in tiny Qwen2.5-VL and tiny CLIP, synthetic style dataset ({o.TrainImages}/{o.ValidationImages}/{o.TestImages} images, seed {o.Seed}); SFT warm-up on factual captions ({o.WarmupSteps} steps), then {DemoPipeline.MethodName(o.Method)} ({o.PreferenceSteps} steps, batch {o.BatchSize}). Finished in {r.Seconds:F0} s.");
        sb.AppendLine();
        sb.AppendLine("| metric (test split) | before | after warm-up | after |");
        sb.AppendLine("|---|---|---|---|");
        sb.AppendLine(c, $"| WR-LogP (stylized beats factual, %) | {r.WrLogPBefore:F1} | {r.WrLogPAfterWarmup:F1} | {r.WrLogPAfter:F1} |");
        sb.AppendLine(c, $"| Style-Acc (generated captions judged {o.Style}, %) | {r.StyleAccBefore:F1} | — | {r.StyleAccAfter:F1} |");
        sb.AppendLine(c, $"| classifier ceiling on reference captions (%) | {r.ClassifierCeiling:F1} | | |");
        sb.AppendLine(c, $"| object accuracy (caption names every shape, %) | {r.ContentBefore.ObjectAccuracy:F1} | — | {r.ContentAfter.ObjectAccuracy:F1} |");
        sb.AppendLine(c, $"| distinct captions (% of images) | {r.ContentBefore.DistinctCaptions:F1} | — | {r.ContentAfter.DistinctCaptions:F1} |");
        sb.AppendLine(c, $"| distinct-2 (%) | {r.ContentBefore.Distinct2:F1} | — | {r.ContentAfter.Distinct2:F1} |");
        sb.AppendLine(c, $"| CLIPScore (0–2.5) | {r.ContentBefore.ClipScore:F3} | — | {r.ContentAfter.ClipScore:F3} |");
        if (r.ContentAfter.ModeCollapse)
        {
            sb.AppendLine();
            sb.AppendLine(c, $"**Mode collapse after training**: fewer than {ContentMetrics.ModeCollapseThreshold:F0} % of the generated captions are distinct.");
        }
        sb.AppendLine();
        sb.AppendLine("Captions are decoded greedily. The built-in tiny CLIP is random (not trained), so CLIPScore only compares runs with each other.");
        sb.AppendLine();
        sb.AppendLine("WR-LogP is the project's primary reading (a PROPOSAL, see docs/objectives.md): mean token log-prob of the stylized caption vs the factual one, strict >.");
        sb.AppendLine();
        sb.AppendLine("## Sample captions after training");
        foreach (var s in r.SampleCaptions) sb.AppendLine(c, $"- {s}");
        sb.AppendLine();
        sb.AppendLine("## Files");
        sb.AppendLine("- `aligned-model/`: the trained checkpoint (Hugging Face layout); `base-model/`, `clip/`: the tiny models");
        sb.AppendLine("- `sft/`, the preference run's folder: `metrics.jsonl`, `metrics.png`, checkpoints");
        sb.AppendLine("- `classifier/`: the style classifier; `eval-before.jsonl`, `eval-after.jsonl`: per-example records");
        sb.AppendLine("- `data/`: the synthetic dataset");
        File.WriteAllText(path, sb.ToString());
    }
}
