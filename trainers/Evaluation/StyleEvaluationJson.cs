using System.Text;
using System.Text.Json;

namespace StyleAlign.Trainers.Evaluation;

/// <summary>Per-example records as JSONL and the summary as JSON, snake_case keys, nulls kept so every line has the same keys.</summary>
public static class StyleEvaluationJson
{
    private static readonly JsonSerializerOptions LineOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private static readonly JsonSerializerOptions IndentedOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static string RecordLine(StyleEvaluationRecord record) => JsonSerializer.Serialize(record, LineOptions);

    public static string Summary(StyleEvaluationSummary summary, bool indented = true) =>
        JsonSerializer.Serialize(summary, indented ? IndentedOptions : LineOptions);

    /// <summary>The summary's keys followed by the content keys (clipscore, refclipscore, distinct, distinct_2,
    /// object_accuracy, mode_collapse) when captions were generated, on one line.</summary>
    public static string SummaryWithContent(StyleEvaluationSummary summary, ContentSummary? content)
    {
        var merged = JsonSerializer.SerializeToNode(summary, LineOptions)!.AsObject();
        if (content is not null)
            foreach (var (key, value) in JsonSerializer.SerializeToNode(content, LineOptions)!.AsObject().ToList())
                merged[key] = value?.DeepClone();
        return merged.ToJsonString(LineOptions);
    }

    /// <summary>Writes one record per line, atomically.</summary>
    public static void WriteRecords(string path, IEnumerable<StyleEvaluationRecord> records)
    {
        var text = new StringBuilder();
        foreach (var r in records) text.Append(RecordLine(r)).Append('\n');
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        StyleAlign.Engine.IO.AtomicFile.WriteAllText(path, text.ToString());
    }
}
