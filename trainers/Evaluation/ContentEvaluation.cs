using System.Text.Json.Serialization;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Trainers.Evaluation;

/// <summary>
/// Whether generated captions still describe their images (see <see cref="ContentMetrics"/>); percentages 0–100,
/// CLIPScore and RefCLIPScore on their 0–2.5 scale; null where the data or the models given cannot measure it.
/// </summary>
public sealed record ContentSummary(
    [property: JsonPropertyName("clipscore")] double? ClipScore,
    [property: JsonPropertyName("refclipscore")] double? RefClipScore,
    [property: JsonPropertyName("distinct")] double DistinctCaptions,
    [property: JsonPropertyName("distinct_2")] double Distinct2,
    [property: JsonPropertyName("object_accuracy")] double? ObjectAccuracy,
    [property: JsonPropertyName("mode_collapse")] bool ModeCollapse);

/// <summary>Computes a <see cref="ContentSummary"/> for one generated caption per example.</summary>
public static class ContentEvaluation
{
    /// <param name="clip">embeds images and captions for CLIPScore and RefCLIPScore (the factual caption is the
    /// reference); null leaves both out</param>
    /// <remarks>
    /// Object accuracy is measured only on synthetic data, recognised by every example's factual caption naming at
    /// least one "colour shape" object (every factual template of the synthetic dataset does); the objects are read
    /// from that caption.
    /// </remarks>
    public static ContentSummary Summarize(IReadOnlyList<PreferenceExample> examples, IReadOnlyList<string> captions, ClipEmbeddingCache? clip)
    {
        if (examples.Count == 0) throw new ArgumentException("no examples to measure content on");
        if (captions.Count != examples.Count) throw new ArgumentException($"{captions.Count} captions for {examples.Count} examples");
        var distinct = ContentMetrics.DistinctCaptionRatio(captions);

        var objects = examples.Select(e => e.Rejected is null ? (IReadOnlyList<SceneObject>)[] : SceneObjects.FromFactualCaption(e.Rejected)).ToList();
        double? objectAccuracy = objects.All(o => o.Count > 0) ? ContentMetrics.ObjectAccuracy(objects.Zip(captions).ToList()) : null;

        double? clipScore = null, refClipScore = null;
        if (clip is not null)
        {
            var images = clip.ImageEmbeddings(examples.Select(e => e.ImagePath).ToList());
            var generated = clip.TextEmbeddings(captions);
            clipScore = Enumerable.Range(0, captions.Count).Average(i => ContentMetrics.ClipScore(generated[i], images[i]));
            if (examples.All(e => e.Rejected is not null))
            {
                var references = clip.TextEmbeddings(examples.Select(e => e.Rejected!).ToList());
                refClipScore = Enumerable.Range(0, captions.Count).Average(i => ContentMetrics.RefClipScore(generated[i], images[i], [references[i]]));
            }
        }
        return new ContentSummary(clipScore, refClipScore, distinct, ContentMetrics.DistinctBigrams(captions), objectAccuracy, ContentMetrics.IsModeCollapse(distinct));
    }
}
