using StyleAlign.Engine.IO;
using System.Globalization;
using System.Text.Json;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Trainers.Training;

/// <summary>
/// <c>metrics.jsonl</c>: one JSON object per optimizer step or evaluation, each with its "step". Kept in memory as
/// well, for the plot and the summary.
/// </summary>
public sealed class MetricsLog
{
    public const string FileName = "metrics.jsonl";
    public const string PlotFileName = "metrics.png";

    private readonly string _path;
    private readonly List<Dictionary<string, double>> _records = [];

    public MetricsLog(string runDirectory, long resumeStep)
    {
        _path = Path.Combine(runDirectory, FileName);
        if (resumeStep > 0 && File.Exists(_path))
        {
            // Lines past the checkpoint belong to the interrupted run; the resumed run writes them again.
            foreach (var line in File.ReadAllLines(_path).Where(l => l.Length > 0))
            {
                var record = JsonSerializer.Deserialize<Dictionary<string, double>>(line)!;
                if (record.GetValueOrDefault("step") <= resumeStep) _records.Add(record);
            }
        }
        AtomicFile.WriteAllText(_path, string.Concat(_records.Select(r => JsonSerializer.Serialize(r) + "\n")));
    }

    public IReadOnlyList<IReadOnlyDictionary<string, double>> Records => _records;

    public void Append(Dictionary<string, double> record)
    {
        var finite = record.Where(kv => double.IsFinite(kv.Value)).ToDictionary(kv => kv.Key, kv => kv.Value);
        _records.Add(finite);
        File.AppendAllText(_path, JsonSerializer.Serialize(finite) + "\n");
    }

    /// <summary>Loss and reward margins against the step, as a PNG beside the log.</summary>
    public void Plot(string title)
    {
        var plot = new ScottPlot.Plot();
        AddSeries(plot, "loss");
        AddSeries(plot, "rewards/margins");
        AddSeries(plot, "eval/wr_logp", scale: 0.01, label: "eval WR-LogP / 100");
        plot.Title(title);
        plot.XLabel("optimizer step");
        plot.ShowLegend();
        var path = Path.Combine(Path.GetDirectoryName(_path)!, PlotFileName);
        var temporary = path + ".tmp.png";
        plot.SavePng(temporary, 900, 500);
        File.Move(temporary, path, overwrite: true);
    }

    private void AddSeries(ScottPlot.Plot plot, string key, double scale = 1, string? label = null)
    {
        var points = _records.Where(r => r.ContainsKey(key) && r.ContainsKey("step")).ToList();
        if (points.Count == 0) return;
        var scatter = plot.Add.Scatter(points.Select(r => r["step"]).ToArray(), points.Select(r => r[key] * scale).ToArray());
        scatter.LegendText = label ?? key;
    }

    public static string Format(IReadOnlyDictionary<string, double> record) =>
        string.Join("  ", record.Select(kv => $"{kv.Key}={kv.Value.ToString("G5", CultureInfo.InvariantCulture)}"));
}
