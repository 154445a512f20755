using System.Globalization;
using System.Text;
using System.Text.Json;
using StyleAlign.Engine.IO;

namespace StyleAlign.Trainers.Study;

/// <summary>
/// The study table: <c>study.md</c> (method × fraction: WR-LogP, Style-Acc, CLIPScore, distinct captions),
/// <c>study.json</c> (<c>{"rows": [{"method", "fraction", "wr_logp", "style_acc", "clipscore", "distinct"}]}</c>)
/// and <c>study.png</c> (WR-LogP and Style-Acc against the fraction, one line per method, zero-shot at 0 %).
/// Run times are kept in the cell records, not here, so a resumed study writes the same table as an uninterrupted one.
/// </summary>
public static class StudyReport
{
    public const string MarkdownFileName = "study.md";
    public const string JsonFileName = "study.json";
    public const string PlotFileName = "study.png";

    public static void Write(string folder, IReadOnlyList<StudyRow> rows)
    {
        AtomicFile.WriteAllText(Path.Combine(folder, MarkdownFileName), Markdown(rows));
        AtomicFile.WriteAllText(Path.Combine(folder, JsonFileName), Json(rows));
        Plot(rows, Path.Combine(folder, PlotFileName));
    }

    public static string Markdown(IReadOnlyList<StudyRow> rows)
    {
        static string F(double? v, string format) => v is { } x && double.IsFinite(x) ? x.ToString(format, CultureInfo.InvariantCulture) : "n/a";
        var md = new StringBuilder();
        md.AppendLine("# Study: method × training data").AppendLine();
        md.AppendLine("| method | data % | examples | steps | WR-LogP (%) | Style-Acc (%) | CLIPScore (0–2.5) | distinct (%) |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Method} | {r.Fraction:0.###} | {r.Examples} | {r.Steps} | {F(r.WrLogP, "F1")} | {F(r.StyleAcc, "F1")} | {F(r.ClipScore, "F3")} | {F(r.Distinct, "F1")} |");
        md.AppendLine();
        md.AppendLine("Every cell is trained from the same base weights and evaluated on the same test split; captions are decoded greedily.");
        md.AppendLine("Zero-shot is the base model prompted for the style (no training data: 0 %).");
        return md.ToString();
    }

    public static string Json(IReadOnlyList<StudyRow> rows)
    {
        static double? Finite(double? v) => v is { } x && double.IsFinite(x) ? Math.Round(x, 4) : null;
        var json = rows.Select(r => new Dictionary<string, object?>
        {
            ["method"] = r.Method,
            ["fraction"] = r.Fraction,
            ["wr_logp"] = Finite(r.WrLogP),
            ["style_acc"] = Finite(r.StyleAcc),
            ["clipscore"] = Finite(r.ClipScore),
            ["distinct"] = Finite(r.Distinct),
        });
        return JsonSerializer.Serialize(new Dictionary<string, object> { ["rows"] = json }, new JsonSerializerOptions { WriteIndented = true });
    }

    private static void Plot(IReadOnlyList<StudyRow> rows, string path)
    {
        if (rows.Count == 0) return;
        var plot = new ScottPlot.Plot();
        foreach (var method in rows.Select(r => r.Method).Distinct())
        {
            var own = rows.Where(r => r.Method == method).ToList();
            foreach (var (name, value) in new (string, Func<StudyRow, double?>)[] { ("WR-LogP", r => r.WrLogP), ("Style-Acc", r => r.StyleAcc) })
            {
                var points = own.Where(r => value(r) is { } v && double.IsFinite(v)).ToList();
                if (points.Count == 0) continue;
                var scatter = plot.Add.Scatter(points.Select(r => r.Fraction).ToArray(), points.Select(r => value(r)!.Value).ToArray());
                scatter.LegendText = $"{method} {name}";
                if (name == "Style-Acc") scatter.LinePattern = ScottPlot.LinePattern.Dashed;
            }
        }
        plot.Title("Study: method × training data (test split)");
        plot.XLabel("training data (%)");
        plot.YLabel("%");
        plot.ShowLegend();
        var temporary = path + ".tmp.png";
        plot.SavePng(temporary, 900, 500);
        File.Move(temporary, path, overwrite: true);
    }
}
