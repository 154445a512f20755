using System.Globalization;

namespace StyleAlign.Trainers.Data.Import;

/// <summary>
/// Flickr30k's caption file <c>results_20130124.token</c>: one caption a line, <c>&lt;image&gt;.jpg#&lt;k&gt;\t&lt;caption&gt;</c>
/// with k = 0…4 per image. The factual caption of an image is the one with the lowest k.
/// </summary>
public static class Flickr30kCaptions
{
    public const string FileName = "results_20130124.token";

    /// <returns>the factual caption of every image, by image file name ("1000092795.jpg")</returns>
    public static IReadOnlyDictionary<string, string> ReadFactual(string path)
    {
        var full = Path.GetFullPath(path);
        var lines = TextLines.Read(full).Lines;
        var best = new Dictionary<string, (int Index, string Caption)>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            var tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
            var hash = tab < 0 ? -1 : lines[i].LastIndexOf('#', tab);
            if (tab < 0 || hash <= 0 || !int.TryParse(lines[i].AsSpan(hash + 1, tab - hash - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                throw new DataFormatException(full, i + 1, "expected '<image>.jpg#<k><TAB><caption>'");
            var image = lines[i][..hash];
            var caption = lines[i][(tab + 1)..].Trim();
            if (caption.Length == 0) continue;
            if (!best.TryGetValue(image, out var known) || index < known.Index) best[image] = (index, caption);
        }
        if (best.Count == 0) throw new DataFormatException(full, 0, "the file holds no captions");
        return best.ToDictionary(kv => kv.Key, kv => kv.Value.Caption, StringComparer.Ordinal);
    }
}
