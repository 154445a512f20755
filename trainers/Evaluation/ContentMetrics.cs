using System.Text.RegularExpressions;

namespace StyleAlign.Trainers.Evaluation;

/// <summary>
/// Whether generated captions still describe their images, next to how stylish they are:
/// <list type="bullet">
/// <item>CLIPScore (Hessel et al., 2021): w · max(cos(caption, image), 0) with w = 2.5, on its own 0–2.5 scale.</item>
/// <item>RefCLIPScore: the harmonic mean of CLIPScore and the reference term max(max over references of cos(caption, reference), 0),
/// 0 when either is 0. The reference term is not scaled by w, as in the paper.</item>
/// <item>Distinct-caption ratio: distinct generated captions ÷ captions (one per image), in %; captions compare after
/// lower-casing and collapsing white space.</item>
/// <item>Distinct-2: distinct word bigrams ÷ all word bigrams over the whole generated set, in % (words and punctuation
/// marks are tokens, lower-cased; a caption of one token has no bigram).</item>
/// <item>Object accuracy (synthetic data): % of images whose caption names the colour and shape of every object in it.</item>
/// <item>Mode collapse: flagged when the distinct-caption ratio falls below <see cref="ModeCollapseThreshold"/> %: fewer
/// distinct captions than half the images means that, on average, each caption is shared by two or more images.</item>
/// </list>
/// Cosines normalize their inputs, so raw or unit embeddings give the same scores.
/// </summary>
public static partial class ContentMetrics
{
    public const double ClipScoreWeight = 2.5;

    /// <summary>Below this distinct-caption ratio (%) a caption set is flagged as mode collapse.</summary>
    public const double ModeCollapseThreshold = 50;

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"embeddings of different sizes: {a.Length} and {b.Length}");
        double dot = 0, aa = 0, bb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            aa += (double)a[i] * a[i];
            bb += (double)b[i] * b[i];
        }
        if (aa == 0 || bb == 0) throw new ArgumentException("the cosine of a zero embedding is undefined");
        return dot / Math.Sqrt(aa * bb);
    }

    /// <summary>CLIPScore of one caption against its image, in [0, 2.5].</summary>
    public static double ClipScore(ReadOnlySpan<float> caption, ReadOnlySpan<float> image) => ClipScoreWeight * Math.Max(Cosine(caption, image), 0);

    /// <summary>The reference term of RefCLIPScore: max(max over references of cos(caption, reference), 0), in [0, 1].</summary>
    public static double ReferenceSimilarity(ReadOnlySpan<float> caption, IReadOnlyList<float[]> references)
    {
        if (references.Count == 0) throw new ArgumentException("RefCLIPScore needs at least one reference caption");
        var best = double.NegativeInfinity;
        foreach (var reference in references) best = Math.Max(best, Cosine(caption, reference));
        return Math.Max(best, 0);
    }

    /// <summary>RefCLIPScore: harmonic mean of CLIPScore and the reference term.</summary>
    public static double RefClipScore(ReadOnlySpan<float> caption, ReadOnlySpan<float> image, IReadOnlyList<float[]> references) =>
        HarmonicMean(ClipScore(caption, image), ReferenceSimilarity(caption, references));

    public static double HarmonicMean(double a, double b) => a <= 0 || b <= 0 ? 0 : 2 * a * b / (a + b);

    /// <summary>Distinct generated captions ÷ captions, in % (one caption per image).</summary>
    public static double DistinctCaptionRatio(IReadOnlyList<string> captions)
    {
        if (captions.Count == 0) throw new ArgumentException("no captions");
        return 100.0 * captions.Select(Normalize).Distinct(StringComparer.Ordinal).Count() / captions.Count;
    }

    /// <summary>Distinct word bigrams ÷ all word bigrams over the set, in % (0 when no caption has two tokens).</summary>
    public static double DistinctBigrams(IReadOnlyList<string> captions)
    {
        var distinct = new HashSet<(string, string)>();
        var total = 0;
        foreach (var caption in captions)
        {
            var tokens = Tokens(caption);
            for (var i = 1; i < tokens.Count; i++)
            {
                distinct.Add((tokens[i - 1], tokens[i]));
                total++;
            }
        }
        return total == 0 ? 0 : 100.0 * distinct.Count / total;
    }

    /// <summary>% of images whose caption names every object of the image (by colour and shape).</summary>
    public static double ObjectAccuracy(IReadOnlyList<(IReadOnlyList<SceneObject> Objects, string Caption)> images)
    {
        if (images.Count == 0) throw new ArgumentException("no images");
        return 100.0 * images.Count(i => SceneObjects.NamesEvery(i.Objects, i.Caption)) / images.Count;
    }

    public static bool IsModeCollapse(double distinctCaptionRatio) => distinctCaptionRatio < ModeCollapseThreshold;

    internal static IReadOnlyList<string> Tokens(string caption) => Token().Matches(caption.ToLowerInvariant()).Select(m => m.Value).ToList();

    private static string Normalize(string caption) => string.Join(' ', caption.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    [GeneratedRegex(@"\w+|[^\w\s]", RegexOptions.CultureInvariant)]
    private static partial Regex Token();
}
