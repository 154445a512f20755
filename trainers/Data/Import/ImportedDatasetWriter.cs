namespace StyleAlign.Trainers.Data.Import;

/// <summary>
/// Writes the index files of an imported dataset in the layout <c>dataset synth</c> uses: <c>captions.jsonl</c>
/// (<c>{"id","image","split","factual","styles":{style: caption}}</c>) and one preference file per split
/// (<c>{"id","image","prompt","chosen","rejected","style"}</c>, chosen = stylized, rejected = factual, ids
/// "{id}-{style}"). Images are already under <c>images/</c> of the same folder.
/// </summary>
public static class ImportedDatasetWriter
{
    /// <returns>images and preference pairs per split (every split present, possibly 0)</returns>
    public static (IReadOnlyDictionary<string, int> Images, IReadOnlyDictionary<string, int> Pairs) Write(string folder, IReadOnlyList<ImportedItem> items)
    {
        File.WriteAllText(Path.Combine(folder, SyntheticStyleDataset.CaptionsFileName), SyntheticStyleDataset.JsonLines(items, (writer, item) =>
        {
            writer.WriteString("id", item.Id);
            writer.WriteString("image", item.ImageFile);
            writer.WriteString("split", item.Split);
            writer.WriteString("factual", item.Factual);
            writer.WriteStartObject("styles");
            foreach (var (style, caption) in item.Stylized) writer.WriteString(style, caption);
            writer.WriteEndObject();
        }));

        var images = new Dictionary<string, int>(StringComparer.Ordinal);
        var pairs = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var split in DataSplits.All)
        {
            var inSplit = items.Where(i => i.Split == split).ToList();
            var lines = inSplit.SelectMany(item => item.Stylized.Select(style => (item, Style: style.Key, Caption: style.Value))).ToList();
            File.WriteAllText(Path.Combine(folder, SyntheticStyleDataset.SplitFileName(split)), SyntheticStyleDataset.JsonLines(lines, (writer, pair) =>
            {
                writer.WriteString("id", $"{pair.item.Id}-{pair.Style}");
                writer.WriteString("image", pair.item.ImageFile);
                writer.WriteString("prompt", StylePrompts.For(pair.Style));
                writer.WriteString("chosen", pair.Caption);
                writer.WriteString("rejected", pair.item.Factual);
                writer.WriteString("style", pair.Style);
            }));
            images[split] = inSplit.Select(i => i.ImageFile).Distinct(StringComparer.Ordinal).Count();
            pairs[split] = lines.Count;
        }
        return (images, pairs);
    }
}
