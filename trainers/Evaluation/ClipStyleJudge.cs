using StyleAlign.Engine.Core;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Trainers.Evaluation;

/// <summary>A style classifier with the CLIP it was trained on: judges captions of examples, and turns preference
/// data into classifier examples (stylized reference → 1, factual reference → 0).</summary>
public sealed class ClipStyleJudge : ICaptionStyleJudge, IDisposable
{
    private readonly StyleClassifier? _classifier;

    public ClipStyleJudge(ClipEmbeddingCache embeddings, StyleClassifier? classifier = null)
    {
        if (classifier is not null && classifier.Info.Clip.WeightsSha256 != embeddings.Identity.WeightsSha256)
            throw new ArgumentException($"the classifier was trained on CLIP {classifier.Info.Clip}, but the CLIP given is {embeddings.Identity}");
        Embeddings = embeddings;
        _classifier = classifier;
    }

    public ClipEmbeddingCache Embeddings { get; }

    public StyleClassifier Classifier => _classifier ?? throw new InvalidOperationException("this judge has no classifier; train or load one first");

    /// <summary>Loads the CLIP folder (onto the device; the CPU when null) and, when given, a classifier folder; embeddings
    /// are cached under cacheRoot (null: memory only). The classifier itself is a small MLP over host embeddings.</summary>
    public static ClipStyleJudge Open(string clipFolder, string? classifierFolder, string? cacheRoot, Device? device = null)
    {
        var embeddings = new ClipEmbeddingCache(ClipPipeline.Load(clipFolder, device), ClipIdentity.Of(clipFolder), cacheRoot);
        return new ClipStyleJudge(embeddings, classifierFolder is null ? null : StyleClassifier.Load(classifierFolder));
    }

    /// <summary>
    /// Trains a style classifier on the CLIP embeddings of the examples' captions (stylized → 1, factual → 0), saves it
    /// to <paramref name="classifierFolder"/> and opens the judge from the saved files, so a judge trained now and one
    /// reopened later are the same.
    /// </summary>
    public static ClipStyleJudge Train(string clipFolder, string classifierFolder, string? cacheRoot, string style,
        IReadOnlyList<PreferenceExample> train, IReadOnlyList<PreferenceExample> validation, StyleClassifierTrainingOptions options, Device? device = null)
    {
        using (var untrained = Open(clipFolder, null, cacheRoot, device))
        using (var classifier = StyleClassifier.Train(untrained.LabeledExamples(train), untrained.LabeledExamples(validation), style, ClipIdentity.Of(clipFolder), options))
            classifier.Save(classifierFolder);
        return Open(clipFolder, classifierFolder, cacheRoot, device);
    }

    public IReadOnlyList<double> StyleProbabilities(IReadOnlyList<(PreferenceExample Example, string Caption)> items)
    {
        var images = Embeddings.ImageEmbeddings(items.Select(i => i.Example.ImagePath).ToList());
        var texts = Embeddings.TextEmbeddings(items.Select(i => i.Caption).ToList());
        return Classifier.Probabilities(images.Zip(texts).ToList());
    }

    public double StyleProbability(PreferenceExample example, string caption) => StyleProbabilities([(example, caption)])[0];

    /// <summary>Two labeled inputs per example (one when it has no factual caption), embeddings computed in batches.</summary>
    public IReadOnlyList<LabeledEmbedding> LabeledExamples(IReadOnlyList<PreferenceExample> examples)
    {
        var images = Embeddings.ImageEmbeddings(examples.Select(e => e.ImagePath).ToList());
        var captions = examples.SelectMany(e => e.Rejected is null ? new[] { e.Chosen } : [e.Chosen, e.Rejected]).ToList();
        var texts = Embeddings.TextEmbeddings(captions);
        var result = new List<LabeledEmbedding>(captions.Count);
        var t = 0;
        for (var i = 0; i < examples.Count; i++)
        {
            result.Add(new LabeledEmbedding(images[i], texts[t++], Stylized: true));
            if (examples[i].Rejected is not null) result.Add(new LabeledEmbedding(images[i], texts[t++], Stylized: false));
        }
        return result;
    }

    public void Dispose() => _classifier?.Dispose();
}
