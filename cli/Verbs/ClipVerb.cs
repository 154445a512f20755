using System.CommandLine;
using System.Globalization;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Trainers.Clip;
using StyleAlign.Trainers.Data.Import;

namespace StyleAlign.Cli.Verbs;

/// <summary><c>engine-cli clip train</c>: contrastive fine-tuning of a CLIP checkpoint on image–caption pairs.</summary>
public sealed class ClipVerb : IVerb
{
    public Command Build()
    {
        var clip = new Command("clip", "Work on the CLIP model that judges style.");
        clip.Subcommands.Add(BuildTrain());
        return clip;
    }

    private static Command BuildTrain()
    {
        var defaults = new ClipTrainingOptions();
        var clipFolder = new Option<string>("--clip") { Description = "CLIP checkpoint folder to start from (config.json, *.safetensors, tokenizer, preprocessor_config.json).", Required = true };
        var data = new Option<string>("--data") { Description = "Dataset folder (train.jsonl, optional validation.jsonl) or one preference JSONL; its factual and stylized captions are the positives of their images.", Required = true };
        var output = new Option<string>("--out") { Description = "Folder to write the fine-tuned checkpoint into.", Required = true };
        var validation = new Option<string?>("--validation") { Description = "Validation JSONL (default: validation.jsonl of a dataset folder)." };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training images.", DefaultValueFactory = _ => defaults.Epochs }.AtLeast(1);
        var learningRate = new Option<double>("--lr") { Description = "Peak AdamW learning rate (linear warm-up, cosine decay).", DefaultValueFactory = _ => defaults.LearningRate }.Positive();
        var batchSize = new Option<int>("--batch-size") { Description = "Images per contrastive batch (each with one of its captions).", DefaultValueFactory = _ => defaults.BatchSize }.AtLeast(2);
        var weightDecay = new Option<double>("--weight-decay") { Description = "AdamW weight decay of the weight matrices.", DefaultValueFactory = _ => defaults.WeightDecay }.NonNegative();
        var seed = new Option<ulong>("--seed") { Description = "Seed for shuffling and caption choice.", DefaultValueFactory = _ => defaults.Seed }.AnyValue();
        var captions = new Option<string>("--captions") { Description = "Captions to train on: all (factual and stylized), factual or stylized.", DefaultValueFactory = _ => "all" };
        var freezeVision = new Option<bool>("--freeze-vision") { Description = "Keep the vision tower and its projection fixed; train the text side and the temperature." };
        var force = new Option<bool>("--force") { Description = "Write into a non-empty output folder (files of the same name are replaced)." };
        var quiet = new Option<bool>("--quiet") { Description = "Print only the final summary line." };

        var train = new Command("train", """
            Fine-tune CLIP contrastively on image-caption pairs: symmetric InfoNCE over each batch with the learned
            temperature (logit_scale, clamped to ln 100), both towers unless --freeze-vision. Writes an ordinary CLIP
            checkpoint folder that forward, classifier train and eval load.

            Examples:
              engine-cli clip train --clip tiny-clip --data data/ --out clip-trained
              engine-cli clip train --clip clip-vit-base --data train.jsonl --validation val.jsonl --out clip-ft --lr 1e-5 --epochs 3 --freeze-vision
            """);
        foreach (Option option in new Option[] { clipFolder, data, output, validation, epochs, learningRate, batchSize, weightDecay, seed, captions, freezeVision, force, quiet, VerbSupport.AllowOutsidePaths() })
            train.Options.Add(option);
        train.SetAction(parse =>
        {
            var selection = parse.GetValue(captions) switch
            {
                "all" => ClipCaptionSelection.All,
                "factual" => ClipCaptionSelection.Factual,
                "stylized" => ClipCaptionSelection.Stylized,
                var other => throw new UsageException($"--captions {other} is not one of: all, factual, stylized"),
            };
            var options = new ClipTrainingOptions
            {
                Epochs = parse.GetValue(epochs),
                LearningRate = parse.GetValue(learningRate),
                BatchSize = parse.GetValue(batchSize),
                WeightDecay = parse.GetValue(weightDecay),
                Seed = parse.GetValue(seed),
                Captions = selection,
                FreezeVision = parse.GetValue(freezeVision),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentOutOfRangeException invalid)
            {
                throw new UsageException($"--{OptionName(invalid.ParamName)}: {invalid.Message.Split(" (Parameter", 2)[0]}");
            }
            var outFolder = parse.GetValue(output)!;
            if (StagedOutput.IsNonEmptyFolder(outFolder) && !parse.GetValue(force))
                throw new UsageException($"output folder '{outFolder}' is not empty; pass --force to write into it anyway");
            return RunTrain(parse.GetValue(clipFolder)!, parse.GetValue(data)!, parse.GetValue(validation), outFolder, options, parse.GetValue(quiet), parse.InvocationConfiguration.Output);
        });
        return train;
    }

    internal static int RunTrain(string clipFolder, string dataPath, string? validationPath, string outFolder, ClipTrainingOptions options, bool quiet, TextWriter output)
    {
        var (train, validation) = ClipTrainingSet.Load(dataPath, validationPath, options.Captions);
        var clip = ClipPipeline.Load(clipFolder);
        if (!quiet)
            output.WriteLine(string.Format(CultureInfo.InvariantCulture, "clip train: {0} images, {1} captions{2}; {3} epochs, batch {4}, lr {5:G3}{6}",
                train.Count, train.Sum(i => i.Captions.Count), validation is null ? "" : $"; validation {validation.Count} images",
                options.Epochs, options.BatchSize, options.LearningRate, options.FreezeVision ? ", vision frozen" : ""));
        var report = ClipContrastiveTrainer.Train(clip, train, validation, options, quiet ? null : output.WriteLine);
        ClipCheckpoint.Write(clipFolder, clip.Model, outFolder, options, report);
        var last = report.Epochs[^1];
        var summary = last.ValidationRetrieval is null ? "" : string.Format(CultureInfo.InvariantCulture, ", validation retrieval {0:F1} %", last.ValidationRetrieval);
        output.WriteLine(string.Format(CultureInfo.InvariantCulture, "clip train: {0} steps, final loss {1:F4}{2} -> {3}",
            report.Steps, last.TrainLoss, summary, Path.GetFullPath(outFolder)));
        return ExitCodes.Ok;
    }

    private static string OptionName(string? parameter) => parameter switch
    {
        nameof(ClipTrainingOptions.Epochs) => "epochs",
        nameof(ClipTrainingOptions.BatchSize) => "batch-size",
        nameof(ClipTrainingOptions.LearningRate) => "lr",
        nameof(ClipTrainingOptions.WeightDecay) => "weight-decay",
        _ => parameter ?? "option",
    };
}
