using System.Globalization;
using StyleAlign.Engine.Core;

namespace StyleAlign.Trainers.Data.Import;

/// <summary>Settings of the FlickrStyle10k import.</summary>
public sealed record FlickrStyleImportOptions
{
    /// <summary>Import only this style (humor or romantic); null imports both.</summary>
    public string? Style { get; init; }

    /// <summary>Seed of the split by image.</summary>
    public ulong Seed { get; init; } = 1234;

    public bool SkipBad { get; init; }
}

/// <summary>
/// Imports FlickrStyle10k 0.9 as distributed — <c>humor/funny_train.txt</c> and <c>romantic/romantic_train.txt</c>, one
/// caption a line, and <c>humor/train.p</c>, <c>romantic/train.p</c>, pickled lists of the matching image names
/// ("1000092795_0b5d8c2a8c.jpg": Flickr photo id, underscore, secret) — with Flickr30k: the factual caption from
/// <c>results_20130124.token</c> and the image "&lt;photo id&gt;.jpg" from its image folder. The published training
/// part (7 000 images) is split by image, deterministically: images sorted by name, permuted by the seed, then the
/// first 1/7 are test, the next 6/70 validation and the rest train (1 000 / 600 / 5 400 of 7 000).
/// </summary>
public static class FlickrStyleImporter
{
    public static readonly (string Style, string Folder, string CaptionFile)[] StyleFiles =
    [
        (SyntheticCaptions.Humor, "humor", "funny_train.txt"),
        (SyntheticCaptions.Romantic, "romantic", "romantic_train.txt"),
    ];

    public const string NamesFile = "train.p";

    /// <summary>Where Flickr30k's images may be, relative to its folder (the official archive, the common mirror, plain).</summary>
    public static readonly string[] ImageFolderNames = ["flickr30k-images", "flickr30k_images", "images", "."];

    public static ImportSummary Import(string fromFolder, string flickr30kFolder, string outFolder, FlickrStyleImportOptions options)
    {
        var styles = StyleFiles.Where(s => options.Style is null || s.Style == options.Style).ToList();
        if (styles.Count == 0) throw new ArgumentException($"unknown style '{options.Style}'; FlickrStyle10k has: {string.Join(", ", StyleFiles.Select(s => s.Style))}");
        var root = Path.GetFullPath(fromFolder);
        var flickr = Path.GetFullPath(flickr30kFolder);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"{root}: folder not found");
        if (!Directory.Exists(flickr)) throw new DirectoryNotFoundException($"{flickr}: folder not found");
        var factual = Flickr30kCaptions.ReadFactual(Path.Combine(flickr, Flickr30kCaptions.FileName));
        var imageFolder = ImageFolderNames.Select(name => Path.GetFullPath(Path.Combine(flickr, name)))
            .FirstOrDefault(folder => Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*.jpg").Any())
            ?? throw new DirectoryNotFoundException($"{flickr}: no Flickr30k images (*.jpg) in {string.Join(", ", ImageFolderNames.Select(n => n == "." ? "the folder itself" : n + "/"))}");

        var problems = new ImportProblems(options.SkipBad);
        var notes = new List<string>();
        var images = new SortedDictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        var origin = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (style, folder, captionFile) in styles)
            ReadStyle(Path.Combine(root, folder), style, captionFile, images, origin, problems, notes);

        var kept = new List<(string Image, Dictionary<string, string> Stylized)>();
        foreach (var (image, stylized) in images)
        {
            DataFormatException Problem(string reason) => new(root, 0, $"{origin[image]}: {reason}");
            if (!factual.ContainsKey(image)) { problems.Report("no Flickr30k caption", Problem($"{Flickr30kCaptions.FileName} has no caption for {image}")); continue; }
            var source = Path.Combine(imageFolder, image);
            if (!File.Exists(source)) { problems.Report("image not found", Problem($"image not found: {source}")); continue; }
            kept.Add((image, stylized));
        }
        if (kept.Count == 0) throw new DataFormatException(root, 0, "no image could be imported");

        var splits = SplitByImage(kept.Count, options.Seed);
        using var staged = new StagedOutput(outFolder);
        var imagesOut = Path.Combine(staged.Path, SyntheticStyleDataset.ImagesFolderName);
        Directory.CreateDirectory(imagesOut);
        var items = new List<ImportedItem>(kept.Count);
        for (var i = 0; i < kept.Count; i++)
        {
            var (image, stylized) = kept[i];
            File.Copy(Path.Combine(imageFolder, image), Path.Combine(imagesOut, image));
            items.Add(new ImportedItem(Path.GetFileNameWithoutExtension(image), splits[i], $"{SyntheticStyleDataset.ImagesFolderName}/{image}", factual[image], stylized));
        }
        var (imageCounts, pairs) = ImportedDatasetWriter.Write(staged.Path, items);
        staged.Commit();
        notes.Add($"split by image with seed {options.Seed}");
        return new ImportSummary("flickrstyle", staged.Target, imageCounts, pairs, problems.Skipped, notes);
    }

    /// <summary>Flickr30k's file name for a FlickrStyle10k name: the photo id before the first underscore, plus ".jpg".</summary>
    public static string Flickr30kName(string flickrStyleName)
    {
        var name = Path.GetFileName(flickrStyleName.Trim());
        var underscore = name.IndexOf('_', StringComparison.Ordinal);
        return underscore > 0 ? name[..underscore] + ".jpg" : name;
    }

    /// <summary>The split of each of <paramref name="count"/> images (in their sorted order): test 1/7, validation 6/70, train the rest.</summary>
    public static string[] SplitByImage(int count, ulong seed)
    {
        var test = (int)Math.Round(count / 7.0, MidpointRounding.AwayFromZero);
        var validation = (int)Math.Round(count * 6 / 70.0, MidpointRounding.AwayFromZero);
        var splits = new string[count];
        var order = new RandomGenerator(seed).Permutation(count);
        for (var rank = 0; rank < count; rank++)
            splits[order[rank]] = rank < test ? DataSplits.Test : rank < test + validation ? DataSplits.Validation : DataSplits.Train;
        return splits;
    }

    private static void ReadStyle(string folder, string style, string captionFile, SortedDictionary<string, Dictionary<string, string>> images,
        Dictionary<string, string> origin, ImportProblems problems, List<string> notes)
    {
        var namesPath = Path.Combine(folder, NamesFile);
        var captionsPath = Path.Combine(folder, captionFile);
        var names = PickledStringList.Read(namesPath);
        var decoded = TextLines.Read(captionsPath);
        var captions = decoded.Lines;
        if (captions.Count != names.Count)
            throw new DataFormatException(captionsPath, 0, $"{captions.Count} captions, but {namesPath} names {names.Count} images; the files must pair line by line");
        if (decoded.FallbackLines > 0)
            notes.Add(string.Format(CultureInfo.InvariantCulture, "{0}: {1} lines were not UTF-8 and were read as Windows-1252", captionsPath, decoded.FallbackLines));
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            var image = Flickr30kName(names[i]);
            var caption = captions[i].Trim();
            if (image.Length == 0 || !image.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase))
            {
                problems.Report("bad image name", new DataFormatException(namesPath, 0, $"item {i}: '{names[i]}' is not a Flickr image name"));
                continue;
            }
            if (caption.Length == 0) { problems.Report("empty caption", new DataFormatException(captionsPath, i + 1, $"the caption of {names[i]} is empty")); continue; }
            if (seen.TryGetValue(image, out var first))
            {
                problems.Report("image listed twice", new DataFormatException(captionsPath, i + 1, $"{names[i]} already has the caption on line {first}"));
                continue;
            }
            seen[image] = i + 1;
            if (!images.TryGetValue(image, out var stylized)) images[image] = stylized = new Dictionary<string, string>(StringComparer.Ordinal);
            stylized[style] = caption;
            origin.TryAdd(image, string.Format(CultureInfo.InvariantCulture, "{0}/{1} item {2} ({3})", Path.GetFileName(folder), NamesFile, i, names[i]));
        }
    }
}
