using StyleAlign.Engine.IO;
using System.Globalization;
using System.Text;
using System.Text.Json;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Trainers.Training;

/// <summary>One planned run of a sweep: its share of the data, the examples, the steps and the recipe that trains it.</summary>
public sealed record FractionRun(double Percent, IReadOnlyList<PreferenceExample> Examples, int Steps, string Directory, TrainingRecipe Recipe);

/// <summary>One data budget of a sweep.</summary>
public sealed record SweepRow(double Percent, int Examples, int Steps, double? WinRateBefore, double? WinRateAfter, double FinalLoss, double Seconds, string RunDirectory);

/// <summary>
/// Data-efficiency sweep (docs/objectives.md, "Data-fraction sweep"): one run per nested fraction of the training data (each subset lies
/// inside the next), all with the same number of optimizer steps, so smaller budgets see more epochs. Writes
/// <c>saturation.md</c>, <c>saturation.json</c> and <c>saturation.png</c> (WR-LogP against the fraction).
/// </summary>
public static class SaturationSweep
{
    public static IReadOnlyList<SweepRow> Run(TrainingRecipe template, IReadOnlyList<double> percents, string outputDirectory, TextWriter? log = null)
    {
        var all = PreferenceDataset.Load(template.DataPath, DataLoadOptions.Preference with { SkipBad = template.SkipBad }).Examples;
        Directory.CreateDirectory(outputDirectory);
        var rows = new List<SweepRow>();
        foreach (var run in Plan(template, all, percents, outputDirectory))
        {
            log?.WriteLine($"sweep: {run.Percent} % = {run.Examples.Count} examples, {run.Steps} steps → {run.Directory}");
            var result = run.Recipe.Run();
            rows.Add(new SweepRow(run.Percent, run.Examples.Count, result.Steps, result.EvalWinRateBefore, result.EvalWinRateAfter, result.FinalLoss, result.Seconds, run.Directory));
            Write(rows, outputDirectory, template.Method.ToString());
        }
        return rows;
    }

    /// <summary>
    /// The runs of a sweep over <paramref name="all"/>: one per percentage, each on a nested subset (the same seed
    /// orders every subset, so each lies inside the next), all with the step count the whole set would get, each in
    /// <c>fraction-P</c> under <paramref name="outputDirectory"/>.
    /// </summary>
    public static IEnumerable<FractionRun> Plan(TrainingRecipe template, IReadOnlyList<PreferenceExample> all, IReadOnlyList<double> percents, string outputDirectory)
    {
        var perStep = template.Trainer.BatchSize * template.Trainer.GradientAccumulation;
        var steps = template.Trainer.MaxSteps > 0 ? template.Trainer.MaxSteps : Math.Max(1, (int)Math.Ceiling(template.Trainer.Epochs * all.Count / perStep));
        foreach (var percent in percents)
        {
            var subset = DataFractions.Subset(all, percent, template.Trainer.Seed);
            var dir = Path.Combine(outputDirectory, "fraction-" + percent.ToString("0.###", CultureInfo.InvariantCulture));
            yield return new FractionRun(percent, subset, steps, dir,
                template with { TrainExamples = subset, Trainer = template.Trainer with { OutputDirectory = dir, MaxSteps = steps } });
        }
    }

    private static void Write(IReadOnlyList<SweepRow> rows, string outputDirectory, string method)
    {
        static string F(double? v) => v is { } x && double.IsFinite(x) ? x.ToString("F1", CultureInfo.InvariantCulture) : "n/a";
        var md = new StringBuilder();
        md.AppendLine($"# Saturation sweep ({method})").AppendLine();
        md.AppendLine("| data % | examples | steps | WR-LogP before (%) | WR-LogP after (%) | final loss | seconds |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Percent:0.###} | {r.Examples} | {r.Steps} | {F(r.WinRateBefore)} | {F(r.WinRateAfter)} | {r.FinalLoss:G5} | {r.Seconds:F1} |"));
        AtomicFile.WriteAllText(Path.Combine(outputDirectory, "saturation.md"), md.ToString());
        var json = rows.Select(r => new Dictionary<string, object?>
        {
            ["percent"] = r.Percent,
            ["examples"] = r.Examples,
            ["steps"] = r.Steps,
            ["eval_wr_logp_before"] = r.WinRateBefore,
            ["eval_wr_logp_after"] = r.WinRateAfter,
            ["final_loss"] = double.IsFinite(r.FinalLoss) ? r.FinalLoss : null,
            ["seconds"] = r.Seconds,
            ["run_dir"] = r.RunDirectory,
        });
        AtomicFile.WriteAllText(Path.Combine(outputDirectory, "saturation.json"), JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        var points = rows.Where(r => r.WinRateAfter is not null).ToList();
        if (points.Count == 0) return;
        var plot = new ScottPlot.Plot();
        var scatter = plot.Add.Scatter(points.Select(r => r.Percent).ToArray(), points.Select(r => r.WinRateAfter!.Value).ToArray());
        scatter.LegendText = "WR-LogP after training";
        plot.Title($"Saturation ({method})");
        plot.XLabel("training data (%)");
        plot.YLabel("WR-LogP (%)");
        var path = Path.Combine(outputDirectory, "saturation.png");
        plot.SavePng(path + ".tmp.png", 800, 500);
        File.Move(path + ".tmp.png", path, overwrite: true);
    }
}
