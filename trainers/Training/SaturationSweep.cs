using StyleAlign.Engine.IO;
using System.Globalization;
using System.Text;
using System.Text.Json;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Trainers.Training;

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
        var perStep = template.Trainer.BatchSize * template.Trainer.GradientAccumulation;
        var steps = template.Trainer.MaxSteps > 0 ? template.Trainer.MaxSteps : Math.Max(1, (int)Math.Ceiling(template.Trainer.Epochs * all.Count / perStep));
        Directory.CreateDirectory(outputDirectory);
        var rows = new List<SweepRow>();
        foreach (var percent in percents)
        {
            var subset = DataFractions.Subset(all, percent, template.Trainer.Seed);
            var dir = Path.Combine(outputDirectory, "fraction-" + percent.ToString("0.###", CultureInfo.InvariantCulture));
            log?.WriteLine($"sweep: {percent} % = {subset.Count} examples, {steps} steps → {dir}");
            var recipe = template with { TrainExamples = subset, Trainer = template.Trainer with { OutputDirectory = dir, MaxSteps = steps } };
            var result = recipe.Run();
            rows.Add(new SweepRow(percent, subset.Count, result.Steps, result.EvalWinRateBefore, result.EvalWinRateAfter, result.FinalLoss, result.Seconds, dir));
            Write(rows, outputDirectory, template.Method.ToString());
        }
        return rows;
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
