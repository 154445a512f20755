using System.Text.Json;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Trainers.Data;

/// <summary>
/// Preference examples read from a JSONL file, one <c>{"id","image","prompt","chosen","rejected"}</c>
/// object a line (optional "style"). Images resolve relative to the file. Every problem is reported with
/// file, line and reason; with <see cref="DataLoadOptions.SkipBad"/> bad lines are skipped and listed in
/// <see cref="Skipped"/>.
/// </summary>
public sealed partial class PreferenceDataset
{
    private PreferenceDataset(string sourcePath, IReadOnlyList<PreferenceExample> examples, IReadOnlyList<DataFormatException> skipped)
    {
        SourcePath = sourcePath;
        Examples = examples;
        Skipped = skipped;
    }

    public string SourcePath { get; }

    public IReadOnlyList<PreferenceExample> Examples { get; }

    public int Count => Examples.Count;

    /// <summary>The lines skipped under <see cref="DataLoadOptions.SkipBad"/>, each with file, line and reason.</summary>
    public IReadOnlyList<DataFormatException> Skipped { get; }

    public int SkippedCount => Skipped.Count;

    public IReadOnlyList<string> SkipReasons => Skipped.Select(error => error.Message).ToArray();

    public static PreferenceDataset Load(string jsonlPath, DataLoadOptions? options = null)
    {
        options ??= DataLoadOptions.Preference;
        string? filter = options.Style is null ? null : $"style '{options.Style}'";
        return ReadLines(jsonlPath, options, filter, (root, context) =>
        {
            string id = context.RequiredString(root, "id");
            string image = context.RequiredString(root, "image");
            string prompt = context.RequiredString(root, "prompt");
            string chosen = context.RequiredString(root, "chosen");
            string? rejected = options.RequireRejected
                ? context.RequiredString(root, "rejected")
                : context.OptionalString(root, "rejected");
            string? style = context.OptionalString(root, "style");
            if (options.Style is not null && style != options.Style) return [];
            return [new PreferenceExample(id, context.ResolveImage(image), prompt, chosen, rejected, style, context.LineNumber, context.FilePath)];
        });
    }

    private delegate IReadOnlyList<PreferenceExample> LineParser(JsonElement root, LineContext context);

    /// <param name="filter">Describes what the parser keeps, for the error when nothing is kept; null when it keeps all.</param>
    private static PreferenceDataset ReadLines(string jsonlPath, DataLoadOptions options, string? filter, LineParser parse)
    {
        string fullPath = Path.GetFullPath(jsonlPath);
        string baseDirectory = Path.GetDirectoryName(fullPath) ?? ".";
        bool allowOutside = options.AllowOutsidePaths ?? InputPaths.OutsideAllowed;

        var examples = new List<PreferenceExample>();
        var skipped = new List<DataFormatException>();
        var seenIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var imageErrors = new Dictionary<string, string?>(StringComparer.Ordinal);

        foreach (var (lineNumber, line) in InputFiles.ReadLines(fullPath, DataLimits.MaxLineBytes, "data file"))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var context = new LineContext(fullPath, lineNumber, baseDirectory, allowOutside);
            try
            {
                var parsed = ParseLine(line, context, parse);
                foreach (var example in parsed)
                {
                    if (seenIds.TryGetValue(example.Id, out int firstLine))
                        throw context.Error($"duplicate id '{example.Id}' (first seen on line {firstLine})");
                    if (options.VerifyImages) VerifyImage(example.ImagePath, context, imageErrors);
                }
                foreach (var example in parsed)
                {
                    seenIds[example.Id] = lineNumber;
                    examples.Add(example);
                }
            }
            catch (DataFormatException error) when (options.SkipBad)
            {
                skipped.Add(error);
            }
        }

        if (examples.Count == 0)
        {
            string why = skipped.Count > 0 ? $"all {skipped.Count} non-empty lines were bad; first: {skipped[0].Reason}"
                : filter is not null ? $"no examples match {filter}"
                : "the file holds no examples";
            throw new DataFormatException(fullPath, 0, why);
        }
        return new PreferenceDataset(fullPath, examples, skipped);
    }

    private static IReadOnlyList<PreferenceExample> ParseLine(string line, LineContext context, LineParser parse)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException error)
        {
            throw context.Error($"invalid JSON: {error.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw context.Error($"expected a JSON object, found {document.RootElement.ValueKind}");
            return parse(document.RootElement, context);
        }
    }

    private static void VerifyImage(string imagePath, LineContext context, Dictionary<string, string?> imageErrors)
    {
        if (!imageErrors.TryGetValue(imagePath, out string? problem))
        {
            problem = DecodeProblem(imagePath);
            imageErrors[imagePath] = problem;
        }
        if (problem is not null) throw context.Error(problem);
    }

    private static string? DecodeProblem(string imagePath)
    {
        if (!File.Exists(imagePath)) return $"image not found: {imagePath}";
        try
        {
            ImageDecoder.Load(imagePath);
            return null;
        }
        catch (InvalidInputException error)
        {
            string reason = error.Message.StartsWith(imagePath + ": ", StringComparison.Ordinal) ? error.Message[(imagePath.Length + 2)..] : error.Message;
            return $"cannot decode image {imagePath}: {reason}";
        }
    }

    /// <summary>Where a line came from, and the field readers that report problems against it.</summary>
    private sealed class LineContext(string filePath, int lineNumber, string baseDirectory, bool allowOutside)
    {
        public int LineNumber => lineNumber;

        public string FilePath => filePath;

        public DataFormatException Error(string reason) => new(filePath, lineNumber, reason);

        public string RequiredString(JsonElement root, string field)
        {
            if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
                throw Error($"missing field '{field}'");
            return NonEmptyString(value, field);
        }

        public string? OptionalString(JsonElement root, string field) =>
            root.TryGetProperty(field, out var value) && value.ValueKind != JsonValueKind.Null ? NonEmptyString(value, field) : null;

        public JsonElement RequiredObject(JsonElement root, string field)
        {
            if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
                throw Error($"missing field '{field}'");
            if (value.ValueKind != JsonValueKind.Object)
                throw Error($"field '{field}' must be an object, found {value.ValueKind}");
            return value;
        }

        public string NonEmptyString(JsonElement value, string field)
        {
            if (value.ValueKind != JsonValueKind.String)
                throw Error($"field '{field}' must be a string, found {value.ValueKind}");
            string text = ConfigJson.TryGetString(value) ?? throw Error($"field '{field}' is not valid Unicode text (a lone surrogate escape)");
            if (string.IsNullOrWhiteSpace(text)) throw Error($"field '{field}' is empty");
            if (text.Length > DataLimits.MaxTextCharacters)
                throw Error($"field '{field}' is {text.Length} characters, more than the {DataLimits.MaxTextCharacters} a prompt or caption may be");
            return text;
        }

        /// <summary>An image path relative to the data file; by default it must stay inside the file's folder.</summary>
        public string ResolveImage(string relativeOrAbsolute) =>
            InputPaths.Resolve(baseDirectory, relativeOrAbsolute.Replace('\\', '/'), allowOutside)
            ?? throw Error($"image '{relativeOrAbsolute}' lies outside the data file's folder {baseDirectory} (absolute or ../ paths need --allow-outside-paths)");
    }
}
