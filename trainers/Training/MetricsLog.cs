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

    /// <param name="resumeStep">the step a resumed run continues from (0: a new run, the log starts empty)</param>
    /// <param name="keepRecords">how many records the log held when that step's checkpoint was written, when known:
    /// exactly those are kept, so nothing written after the checkpoint (a final evaluation) appears twice</param>
    /// <param name="warn">told about lines dropped because an interrupted write tore them</param>
    public MetricsLog(string runDirectory, long resumeStep, int? keepRecords = null, Action<string>? warn = null)
    {
        _path = Path.Combine(runDirectory, FileName);
        if (resumeStep > 0 && File.Exists(_path))
        {
            // Lines past the checkpoint belong to the interrupted run; the resumed run writes them again.
            var records = ReadRecords(warn);
            _records.AddRange(keepRecords is { } count ? records.Take(count) : records.Where(r => r.GetValueOrDefault("step") <= resumeStep));
        }
        AtomicFile.WriteAllText(_path, string.Concat(_records.Select(r => JsonSerializer.Serialize(r) + "\n")));
    }

    /// <summary>The file's records; a line that is not one (cut short by a kill) is dropped and reported.</summary>
    private List<Dictionary<string, double>> ReadRecords(Action<string>? warn)
    {
        var records = new List<Dictionary<string, double>>();
        foreach (var (number, line) in InputFiles.ReadLines(_path, DataLimits.MaxLineBytes, "metrics log"))
        {
            if (line.Length == 0) continue;
            try
            {
                records.Add(JsonSerializer.Deserialize<Dictionary<string, double>>(line) ?? throw new JsonException("null"));
            }
            catch (JsonException)
            {
                warn?.Invoke($"{_path}:{number}: not a complete record (a write was interrupted); dropped");
            }
        }
        return records;
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
