using System.Diagnostics;
using System.Globalization;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Vision;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Evaluation;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Trainers.Study;

/// <summary>What a study produced: its rows in table order, and whether every cell is done.</summary>
public sealed record StudyResult(IReadOnlyList<StudyRow> Rows, bool Complete, int CellsRun, string RunDirectory);

/// <summary>
/// The method × data-fraction comparison (docs/objectives.md, "Study"): zero-shot once, then each training method at
/// each nested fraction of the training split through the sweep's plan (<see cref="SaturationSweep.Plan"/>), each
/// trained from the same base weights and evaluated on the same test split with the same judge. A finished cell is
/// recorded in <c>cells/</c> (written to a temporary file, then renamed), so an interrupted study resumes with the
/// cells it lacks; the table (<c>study.md</c>, <c>study.json</c>, <c>study.png</c>) is rewritten after every cell.
/// What cells share is computed once: the judge (its classifier is saved in the folder), the CLIP embeddings (cached
/// on disk) and the reference log-probs (one cache file, each subset's entries taken from it).
/// </summary>
public static class StudyRunner
{
    public const string SettingsFileName = "study-settings.json";

    /// <summary>
    /// Checks the folder against the options before anything is loaded: a resumed study must have been run with the
    /// same settings, or its recorded cells would not compare with the new ones.
    /// </summary>
    /// <exception cref="RunFolderException">the folder's study used other settings</exception>
    public static void CheckFolder(StudyOptions options)
    {
        var path = Path.Combine(options.OutputDirectory, SettingsFileName);
        if (!options.Resume || !File.Exists(path)) return;
        var recorded = StudyCells.ReadSettings(path);
        foreach (var (key, value) in options.Settings())
            if (!recorded.TryGetValue(key, out var before) || before != value)
                throw new RunFolderException($"--resume: the study in '{options.OutputDirectory}' was run with {key} = {before ?? "(none)"}, this command asks {value}; resume with the same settings or pass --force to start over");
    }

    public static StudyResult Run(StudyOptions options)
    {
        var root = Path.GetFullPath(options.OutputDirectory);
        Directory.CreateDirectory(root);
        CheckFolder(options);
        StudyCells.WriteSettings(Path.Combine(root, SettingsFileName), options.Settings());
        var cells = new StudyCells(Path.Combine(root, "cells"));
        var load = DataLoadOptions.Preference with { Style = options.Style, SkipBad = options.Template.SkipBad };
        IReadOnlyList<PreferenceExample> Split(string split)
        {
            var path = Path.Combine(options.DataDirectory, SyntheticStyleDataset.SplitFileName(split));
            var examples = PreferenceDataset.Load(path, load).Examples;
            return examples.Count > 0 ? examples : throw new InvalidDataException($"{path}: no examples of style '{options.Style}'");
        }
        var train = Split(DataSplits.Train);
        var validation = Split(DataSplits.Validation);
        var test = Split(DataSplits.Test);

        // The base folder's tokenizer and processor are read first, so a wrong --weights is named before the judge is trained.
        var weights = options.Template.WeightsPath;
        var baseCollator = new PreferenceCollator(QwenTokenizer.Load(weights), QwenImageProcessor.Load(weights), options.Template.Collator);
        using var judge = OpenJudge(options, root, train, validation);
        var cellsRun = 0;
        foreach (var method in options.Methods)
        {
            if (method.Training is not { } training)
            {
                if (cells.Find(method.Name, 0) is not null) continue;
                options.Log.WriteLine($"study: {method.Name} on {test.Count} test examples");
                var clock = Stopwatch.StartNew();
                cells.Record(Row(method.Name, 0, 0, 0, QwenCaptionModel.Evaluate(Qwen25VLModel.Load(weights), baseCollator, judge, test, options.MaxNewTokens), clock));
                cellsRun++;
                StudyReport.Write(root, Ordered(cells, options));
                continue;
            }
            var template = options.Template with
            {
                Method = training,
                Trainer = options.Template.Trainer with
                {
                    LearningRate = options.Template.Trainer.LearningRate > 0 ? options.Template.Trainer.LearningRate : TrainingRecipe.DefaultLearningRate(training, options.Template.Full),
                    Resume = false,
                    Quiet = true,
                },
            };
            foreach (var run in SaturationSweep.Plan(template, train, options.Percents, Path.Combine(root, method.Name)))
            {
                if (cells.Find(method.Name, run.Percent) is not null) continue;
                options.Log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"study: {method.Name} at {run.Percent:0.###} % = {run.Examples.Count} examples, {run.Steps} steps"));
                // A cell without a record was cut short; it is run again from the start so it matches an uninterrupted one.
                if (Directory.Exists(run.Directory)) Directory.Delete(run.Directory, recursive: true);
                var references = new SharedReferences(root, run.Directory);
                var clock = Stopwatch.StartNew();
                StyleEvaluationResult? evaluation = null;
                var result = run.Recipe.Run((model, collator) => evaluation = QwenCaptionModel.Evaluate(model, collator, judge, test, options.MaxNewTokens));
                references.Collect();
                cells.Record(Row(method.Name, run.Percent, run.Examples.Count, result.Steps, evaluation!, clock));
                cellsRun++;
                StudyReport.Write(root, Ordered(cells, options));
            }
        }
        var rows = Ordered(cells, options);
        StudyReport.Write(root, rows);
        var expected = options.Methods.Sum(m => m.Training is null ? 1 : options.Percents.Count);
        return new StudyResult(rows, rows.Count == expected, cellsRun, root);
    }

    /// <summary>The judge: the given CLIP (or the built-in tiny one, written into the folder) with a style classifier
    /// trained on the training split's captions, or the one an earlier run of this study saved.</summary>
    private static ClipStyleJudge OpenJudge(StudyOptions options, string root, IReadOnlyList<PreferenceExample> train, IReadOnlyList<PreferenceExample> validation)
    {
        var clip = options.ClipPath;
        if (clip is null)
        {
            clip = Path.Combine(root, "clip");
            if (!File.Exists(Path.Combine(clip, "model.safetensors"))) TinyClip.Write(clip);
        }
        var classifier = Path.Combine(root, "classifier");
        var cache = Path.Combine(root, "clip-cache");
        if (File.Exists(Path.Combine(classifier, StyleClassifier.InfoFileName)) && File.Exists(Path.Combine(classifier, StyleClassifier.WeightsFileName)))
            return ClipStyleJudge.Open(clip, classifier, cache);
        options.Log.WriteLine($"study: training the {options.Style} classifier on {train.Count} training examples' captions");
        return ClipStyleJudge.Train(clip, classifier, cache, options.Style, train, validation, options.Classifier);
    }

    private static StudyRow Row(string method, double percent, int examples, int steps, StyleEvaluationResult evaluation, Stopwatch clock) =>
        new(method, percent, examples, steps, evaluation.Summary.WrLogP, evaluation.Summary.StyleAcc, evaluation.Content?.ClipScore,
            evaluation.Content?.DistinctCaptions ?? double.NaN, clock.Elapsed.TotalSeconds);

    /// <summary>Recorded rows in the order of the options' methods, then by fraction; rows of methods or fractions
    /// not asked for this time are left out of the table (their records stay).</summary>
    private static IReadOnlyList<StudyRow> Ordered(StudyCells cells, StudyOptions options) =>
        options.Methods.SelectMany(m => m.Training is null
                ? [cells.Find(m.Name, 0)]
                : options.Percents.Order().Select(p => cells.Find(m.Name, p)))
            .OfType<StudyRow>().ToList();

    /// <summary>
    /// The study's one reference log-prob cache: copied into a cell's folder before it trains, so the trainer computes
    /// only the entries the cache lacks, and the cell's file (a superset) copied back after. The trainer checks the
    /// fingerprint, so a cache of other weights is recomputed, never used.
    /// </summary>
    private sealed class SharedReferences
    {
        private readonly string _shared;
        private readonly string _cell;

        public SharedReferences(string root, string cellDirectory)
        {
            _shared = Path.Combine(root, ReferenceCache.FileName);
            _cell = Path.Combine(cellDirectory, ReferenceCache.FileName);
            if (!File.Exists(_shared)) return;
            Directory.CreateDirectory(cellDirectory);
            File.Copy(_shared, _cell);
        }

        public void Collect()
        {
            if (!File.Exists(_cell)) return;
            var temporary = _shared + ".tmp";
            File.Copy(_cell, temporary, overwrite: true);
            File.Move(temporary, _shared, overwrite: true);
        }
    }
}
