using System.Globalization;
using System.Security.Cryptography;

namespace StyleAlign.Trainers.Data.Import;

/// <summary>
/// Imports the New Yorker Caption Contest corpus as Hugging Face publishes it (<c>jmhessel/newyorker_caption_contest</c>,
/// config <c>explanation</c>): parquet files <c>explanation/{train,validation,test}-NNNNN-of-NNNNN.parquet</c> (or
/// <c>explanation/{split}/*.parquet</c>) with, per row, <c>image</c> (a struct {bytes, path} holding the encoded
/// cartoon), <c>image_description</c> (a plain description: the factual caption), <c>caption_choices</c> (in this config
/// one string: the contest caption, the humorous one) and <c>instance_id</c>. The published splits (2 340 / 130 / 131
/// rows) are kept. Cartoons shared by several rows are written once, named by the SHA-256 of their bytes.
/// </summary>
public static class NewYorkerImporter
{
    public const string Style = SyntheticCaptions.Humor;
    public const string ConfigFolder = "explanation";

    public static ImportSummary Import(string fromFolder, string outFolder, bool skipBad)
    {
        var files = FindSplitFiles(fromFolder);
        var problems = new ImportProblems(skipBad);
        using var staged = new StagedOutput(outFolder);
        Directory.CreateDirectory(Path.Combine(staged.Path, SyntheticStyleDataset.ImagesFolderName));
        var imageFiles = new Dictionary<string, string>(StringComparer.Ordinal);
        var firstSeen = new Dictionary<string, string>(StringComparer.Ordinal);
        var items = new List<ImportedItem>();
        foreach (var (split, paths) in files)
            foreach (var path in paths)
                items.AddRange(ReadFile(path, split, staged.Path, imageFiles, firstSeen, problems));

        var (images, pairs) = ImportedDatasetWriter.Write(staged.Path, items);
        staged.Commit();
        return new ImportSummary("newyorker", staged.Target, images, pairs, problems.Skipped,
            [$"{imageFiles.Count} distinct cartoons for {items.Count} rows"]);
    }

    /// <summary>The parquet files of each split, in name order; every split must have at least one.</summary>
    public static IReadOnlyList<(string Split, IReadOnlyList<string> Files)> FindSplitFiles(string fromFolder)
    {
        var root = Path.GetFullPath(fromFolder);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: folder not found");
        var folders = new[] { Path.Combine(root, ConfigFolder), root }.Where(Directory.Exists).ToList();
        var result = new List<(string, IReadOnlyList<string>)>();
        foreach (var split in DataSplits.All)
        {
            var found = folders
                .Select(folder => Directory.GetFiles(folder, $"{split}-*.parquet")
                    .Concat(Directory.Exists(Path.Combine(folder, split)) ? Directory.GetFiles(Path.Combine(folder, split), "*.parquet") : [])
                    .Order(StringComparer.Ordinal).ToList())
                .FirstOrDefault(list => list.Count > 0);
            if (found is null)
                throw new DataFormatException(root, 0, $"no {split} parquet file of the '{ConfigFolder}' config: expected {ConfigFolder}/{split}-00000-of-00001.parquet (as downloaded from jmhessel/newyorker_caption_contest)");
            result.Add((split, found));
        }
        return result;
    }

    private static IEnumerable<ImportedItem> ReadFile(string path, string split, string outFolder, Dictionary<string, string> imageFiles,
        Dictionary<string, string> firstSeen, ImportProblems problems)
    {
        using var table = ParquetColumns.Open(path);
        var ids = table.Strings("instance_id");
        var descriptions = table.Strings("image_description");
        var captions = table.Strings("caption_choices");
        var images = table.Binary("image", "bytes");
        var items = new List<ImportedItem>();
        for (var row = 0; row < ids.Length; row++)
        {
            var where = string.Format(CultureInfo.InvariantCulture, "row {0}{1}", row, string.IsNullOrWhiteSpace(ids[row]) ? "" : $" (instance_id {ids[row]})");
            DataFormatException Problem(string reason) => new(table.Path, 0, $"{where}: {reason}");
            var id = ids[row]?.Trim();
            var description = descriptions[row]?.Trim();
            var caption = captions[row]?.Trim();
            var image = images[row];
            if (string.IsNullOrEmpty(id)) { problems.Report("no instance_id", Problem("instance_id is empty")); continue; }
            if (firstSeen.TryGetValue(id, out var earlier)) { problems.Report("duplicate instance_id", Problem($"instance_id already used by {earlier}")); continue; }
            if (string.IsNullOrEmpty(description)) { problems.Report("no image_description", Problem("image_description is empty")); continue; }
            if (string.IsNullOrEmpty(caption)) { problems.Report("no caption", Problem("caption_choices is empty")); continue; }
            if (image is null) { problems.Report("no image", Problem("image.bytes is null")); continue; }
            var (extension, imageProblem) = ImageFiles.Inspect(image);
            if (extension is null) { problems.Report("unreadable image", Problem(imageProblem!)); continue; }

            var hash = Convert.ToHexStringLower(SHA256.HashData(image));
            if (!imageFiles.TryGetValue(hash, out var imageFile))
            {
                imageFile = $"{SyntheticStyleDataset.ImagesFolderName}/{hash[..16]}{extension}";
                File.WriteAllBytes(Path.Combine(outFolder, imageFile), image);
                imageFiles[hash] = imageFile;
            }
            firstSeen[id] = string.Format(CultureInfo.InvariantCulture, "{0} row {1}", Path.GetFileName(table.Path), row);
            items.Add(new ImportedItem(id, split, imageFile, description, new Dictionary<string, string> { [Style] = caption }));
        }
        return items;
    }
}
