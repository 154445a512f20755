using StyleAlign.Engine.Core;
using System.CommandLine;
using System.Globalization;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Evaluation;

namespace StyleAlign.Cli.Verbs;

/// <summary><c>engine-cli classifier train|eval</c>: the CLIP style classifier behind Style-Acc.</summary>
public sealed class ClassifierVerb : IVerb
{
    public Command Build()
    {
        var classifier = new Command("classifier", "Train and evaluate the CLIP-embedding style classifier used for Style-Acc.");
        classifier.Subcommands.Add(BuildTrain());
        classifier.Subcommands.Add(BuildEval());
        return classifier;
    }

    private static Option<string?> CacheOption() => new("--cache")
    {
        Description = $"Folder for cached CLIP embeddings (default {ClipEmbeddingCache.DefaultRoot}); 'none' keeps them in memory only.",
    };

    private static Command BuildTrain()
    {
        var defaults = new StyleClassifierTrainingOptions();
        var clip = new Option<string>("--clip") { Description = "CLIP model folder (config.json, model.safetensors, tokenizer, preprocessor_config.json).", Required = true };
        var data = new Option<string>("--data") { Description = "Training preference JSONL (chosen = stylized, rejected = factual).", Required = true };
        var style = new Option<string>("--style") { Description = "Style to learn; lines of other styles are skipped.", Required = true };
        var output = new Option<string>("--out") { Description = "Folder to write classifier.safetensors and classifier.json into.", Required = true };
        var validation = new Option<string?>("--validation") { Description = "Validation JSONL for early stopping (default: 10 % of the training examples held out)." };
        var epochs = new Option<int>("--epochs") { Description = "Most epochs to train.", DefaultValueFactory = _ => defaults.Epochs }.AtLeast(1);
        var hidden = new Option<int>("--hidden") { Description = "Hidden width of the MLP.", DefaultValueFactory = _ => defaults.HiddenSize }.Between(1, 65_536);
        var layers = new Option<int>("--layers") { Description = "Linear layers of the MLP (2-4).", DefaultValueFactory = _ => defaults.Layers }.Between(2, 4);
        var dropout = new Option<double>("--dropout") { Description = "Dropout after each hidden layer.", DefaultValueFactory = _ => defaults.Dropout }.Between(0, 1, maxExcluded: true);
        var learningRate = new Option<double>("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => defaults.LearningRate }.Positive();
        var batchSize = new Option<int>("--batch-size") { Description = "Examples per step.", DefaultValueFactory = _ => defaults.BatchSize }.AtLeast(1);
        var patience = new Option<int>("--patience") { Description = "Epochs without a better validation result before stopping.", DefaultValueFactory = _ => defaults.Patience }.AtLeast(1);
        var seed = new Option<ulong>("--seed") { Description = "Seed for initialization, shuffling, dropout and the hold-out split.", DefaultValueFactory = _ => defaults.Seed }.AnyValue();
        var cache = CacheOption();

        var train = new Command("train", "Train a style classifier on CLIP embeddings of reference captions (stylized = 1, factual = 0).");
        foreach (Option option in new Option[] { clip, data, style, output, validation, epochs, hidden, layers, dropout, learningRate, batchSize, patience, seed, cache, VerbSupport.AllowOutsidePaths() })
            train.Options.Add(option);
        var placement = new PlacementOptions(train);
        train.SetAction(parse =>
        {
            var options = new StyleClassifierTrainingOptions
            {
                Epochs = parse.GetValue(epochs),
                HiddenSize = parse.GetValue(hidden),
                Layers = parse.GetValue(layers),
                Dropout = parse.GetValue(dropout),
                LearningRate = parse.GetValue(learningRate),
                BatchSize = parse.GetValue(batchSize),
                Patience = parse.GetValue(patience),
                Seed = parse.GetValue(seed),
            };
            return RunTrain(parse.GetValue(clip)!, parse.GetValue(data)!, parse.GetValue(style)!, parse.GetValue(output)!,
                parse.GetValue(validation), CacheRoot(parse.GetValue(cache)), options, parse.InvocationConfiguration.Output, placement.Parse(parse).Device);
        });
        return train;
    }

    private static Command BuildEval()
    {
        var clip = new Option<string>("--clip") { Description = "CLIP model folder the classifier was trained on.", Required = true };
        var classifierFolder = new Option<string>("--classifier") { Description = "Classifier folder written by 'classifier train'.", Required = true };
        var data = new Option<string>("--data") { Description = "Preference JSONL with reference captions.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON." };
        var records = new Option<string?>("--records") { Description = "Also write per-example records as JSONL to this file." };
        var cache = CacheOption();

        var eval = new Command("eval", "Accuracy of a style classifier on reference captions (the Style-Acc ceiling).");
        foreach (Option option in new Option[] { clip, classifierFolder, data, json, records, cache, VerbSupport.AllowOutsidePaths() })
            eval.Options.Add(option);
        var placement = new PlacementOptions(eval);
        eval.SetAction(parse =>
        {
            return RunEval(parse.GetValue(clip)!, parse.GetValue(classifierFolder)!, parse.GetValue(data)!,
                parse.GetValue(json), parse.GetValue(records), CacheRoot(parse.GetValue(cache)), parse.InvocationConfiguration.Output, placement.Parse(parse).Device);
        });
        return eval;
    }

    internal static int RunTrain(string clipFolder, string dataPath, string style, string outFolder, string? validationPath, string? cacheRoot,
        StyleClassifierTrainingOptions options, TextWriter output, Device? device = null)
    {
        var loadOptions = new DataLoadOptions { Style = style };
        var training = PreferenceDataset.Load(dataPath, loadOptions).Examples;
        IReadOnlyList<PreferenceExample> validation;
        if (validationPath is not null)
        {
            validation = PreferenceDataset.Load(validationPath, loadOptions).Examples;
        }
        else
        {
            if (training.Count < 2) throw new DataFormatException(Path.GetFullPath(dataPath), 0, $"{training.Count} example of style '{style}' cannot be split into training and validation; pass --validation");
            (training, validation) = StyleClassifier.HoldOut(training, options.Seed);
        }

        using var judge = ClipStyleJudge.Open(clipFolder, null, cacheRoot, device);
        var trainInputs = judge.LabeledExamples(training);
        var validationInputs = judge.LabeledExamples(validation);
        output.WriteLine($"embeddings: {judge.Embeddings.Computed} computed, the rest from the cache ({judge.Embeddings.Identity})");
        using var classifier = StyleClassifier.Train(trainInputs, validationInputs, style, judge.Embeddings.Identity, options, output.WriteLine);
        classifier.Save(outFolder);
        output.WriteLine(string.Format(CultureInfo.InvariantCulture,
            "classifier: style {0}, best epoch {1} of {2}, validation accuracy {3:F2} % on {4} captions -> {5}",
            style, classifier.Info.BestEpoch, classifier.Info.EpochsRun, 100 * classifier.Info.ValidationAccuracy, validationInputs.Count, Path.GetFullPath(outFolder)));
        return ExitCodes.Ok;
    }

    internal static int RunEval(string clipFolder, string classifierFolder, string dataPath, bool asJson, string? recordsPath, string? cacheRoot, TextWriter output, Device? device = null)
    {
        using var judge = ClipStyleJudge.Open(clipFolder, classifierFolder, cacheRoot, device);
        var style = judge.Classifier.Info.Style;
        var examples = PreferenceDataset.Load(dataPath).Examples.Where(e => e.Style is null || e.Style == style).ToList();
        if (examples.Count == 0) throw new DataFormatException(Path.GetFullPath(dataPath), 0, $"no examples of style '{style}', the style of the classifier {classifierFolder}");
        var result = StyleEvaluator.Evaluate(examples, scorer: null, classifier: judge);
        if (recordsPath is not null) StyleEvaluationJson.WriteRecords(recordsPath, result.Records);
        if (asJson)
            output.WriteLine(StyleEvaluationJson.Summary(result.Summary));
        else
            output.WriteLine(string.Format(CultureInfo.InvariantCulture, "classifier {0} ({1}): accuracy on {2} examples' reference captions {3:F2} %",
                Path.GetFullPath(classifierFolder), style, result.Summary.N, result.Summary.ClassifierCeiling));
        return ExitCodes.Ok;
    }

    private static string? CacheRoot(string? option) =>
        option is null ? ClipEmbeddingCache.DefaultRoot : option.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : option;
}
