using StyleAlign.Engine.IO;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Trainers.Data;

/// <summary>
/// The built-in style dataset: procedural pictures of coloured shapes, each with a factual caption and
/// one caption per style. It needs no download and is byte-identical for a given seed.
/// </summary>
/// <remarks>
/// Layout written by <see cref="Generate"/>:
/// <c>images/NNNN.png</c>; <c>captions.jsonl</c> (<c>{"id","image","split","factual","styles":{style: caption}}</c>);
/// <c>train.jsonl</c>, <c>validation.jsonl</c>, <c>test.jsonl</c> with one preference pair per image and style
/// (<c>{"id","image","prompt","chosen","rejected","style"}</c>, chosen = stylized, rejected = factual).
/// Splits are disjoint by image.
/// </remarks>
public static class SyntheticStyleDataset
{
    public const string CaptionsFileName = "captions.jsonl";
    public const string ImagesFolderName = "images";

    internal static readonly JsonWriterOptions JsonOptions = new()
    {
        // Captions stay readable (apostrophes, non-ASCII) instead of \u-escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>The split file for <paramref name="split"/> ("train", "validation", "test").</summary>
    public static string SplitFileName(string split) => split + ".jsonl";

    /// <summary>
    /// Creates the items in memory. Item i depends only on the seed and i, so growing a split keeps the
    /// earlier images unchanged.
    /// </summary>
    public static IReadOnlyList<SyntheticItem> CreateItems(SyntheticOptions options)
    {
        options.Validate();
        int digits = Math.Max(4, options.TotalImages.ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
        var items = new SyntheticItem[options.TotalImages];
        for (int i = 0; i < items.Length; i++)
        {
            var rng = DeterministicRandom.ForStream(options.Seed, (ulong)i);
            var scene = SyntheticScene.Sample(rng);
            string factual = SyntheticCaptions.Factual(scene, rng);
            var stylized = new Dictionary<string, string>(StringComparer.Ordinal);
            // Every known style draws its template even when not requested, so choosing fewer styles
            // leaves the remaining captions unchanged.
            foreach (string style in SyntheticCaptions.Styles)
            {
                string caption = SyntheticCaptions.Stylized(scene, style, rng);
                if (options.Styles.Contains(style)) stylized[style] = caption;
            }
            string id = i.ToString("D" + digits, System.Globalization.CultureInfo.InvariantCulture);
            items[i] = new SyntheticItem(id, SplitOf(i, options), scene, factual, stylized);
        }
        return items;
    }

    /// <summary>Writes the dataset into <paramref name="outputDirectory"/>, overwriting files of the same name.</summary>
    public static SyntheticSummary Generate(string outputDirectory, SyntheticOptions options)
    {
        var items = CreateItems(options);
        Directory.CreateDirectory(Path.Combine(outputDirectory, ImagesFolderName));

        foreach (var item in items)
        {
            byte[] rgb = item.Scene.Render(options.ImageSize);
            PngEncoder.WriteFile(Path.Combine(outputDirectory, item.ImagePath), rgb, options.ImageSize, options.ImageSize);
        }

        AtomicFile.WriteAllText(Path.Combine(outputDirectory, CaptionsFileName), CaptionLines(items, options));

        var pairsPerSplit = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string split in DataSplits.All)
        {
            var splitItems = items.Where(item => item.Split == split).ToList();
            AtomicFile.WriteAllText(Path.Combine(outputDirectory, SplitFileName(split)), PreferenceLines(splitItems, options));
            pairsPerSplit[split] = splitItems.Count * options.Styles.Count;
        }

        return new SyntheticSummary(outputDirectory, options.TrainCount, options.ValidationCount, options.TestCount,
            options.ImageSize, options.Seed, options.Styles.ToArray(), pairsPerSplit);
    }

    private static string SplitOf(int index, SyntheticOptions options) =>
        index < options.TrainCount ? DataSplits.Train
        : index < options.TrainCount + options.ValidationCount ? DataSplits.Validation
        : DataSplits.Test;

    private static string CaptionLines(IEnumerable<SyntheticItem> items, SyntheticOptions options) =>
        JsonLines(items, (writer, item) =>
        {
            writer.WriteString("id", item.Id);
            writer.WriteString("image", item.ImagePath);
            writer.WriteString("split", item.Split);
            writer.WriteString("factual", item.Factual);
            writer.WriteStartObject("styles");
            foreach (string style in options.Styles) writer.WriteString(style, item.Stylized[style]);
            writer.WriteEndObject();
        });

    private static string PreferenceLines(IEnumerable<SyntheticItem> items, SyntheticOptions options) =>
        JsonLines(items.SelectMany(item => options.Styles.Select(style => (item, style))), (writer, pair) =>
        {
            writer.WriteString("id", $"{pair.item.Id}-{pair.style}");
            writer.WriteString("image", pair.item.ImagePath);
            writer.WriteString("prompt", StylePrompts.For(pair.style));
            writer.WriteString("chosen", pair.item.Stylized[pair.style]);
            writer.WriteString("rejected", pair.item.Factual);
            writer.WriteString("style", pair.style);
        });

    internal static string JsonLines<T>(IEnumerable<T> records, Action<Utf8JsonWriter, T> writeFields)
    {
        var text = new StringBuilder();
        using var buffer = new MemoryStream();
        foreach (var record in records)
        {
            buffer.SetLength(0);
            using (var writer = new Utf8JsonWriter(buffer, JsonOptions))
            {
                writer.WriteStartObject();
                writeFields(writer, record);
                writer.WriteEndObject();
            }
            text.Append(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)).Append('\n');
        }
        return text.ToString();
    }
}
