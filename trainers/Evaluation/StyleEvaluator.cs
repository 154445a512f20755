using System.Text.Json.Serialization;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Trainers.Evaluation;

/// <summary>Log-probability of a caption given an example's image and prompt under the evaluated model.</summary>
public interface ICaptionScorer
{
    (double MeanLogProb, double SumLogProb, int Tokens) Score(PreferenceExample example, string caption);
}

/// <summary>A caption the evaluated model writes for an example's image and prompt.</summary>
public interface ICaptionGenerator
{
    string Generate(PreferenceExample example);
}

/// <summary>Probability that a caption is in the target style for an example's image; asked in batches so
/// embeddings can be computed together.</summary>
public interface ICaptionStyleJudge
{
    IReadOnlyList<double> StyleProbabilities(IReadOnlyList<(PreferenceExample Example, string Caption)> items);
}

/// <summary>Everything measured on one example; null where that part was not asked for.</summary>
public sealed record StyleEvaluationRecord(
    string Id,
    string? Style,
    [property: JsonPropertyName("stylized_mean_logp")] double? StylizedMeanLogProb,
    [property: JsonPropertyName("stylized_sum_logp")] double? StylizedSumLogProb,
    int? StylizedTokens,
    [property: JsonPropertyName("factual_mean_logp")] double? FactualMeanLogProb,
    [property: JsonPropertyName("factual_sum_logp")] double? FactualSumLogProb,
    int? FactualTokens,
    bool? StylizedWins,
    string? GeneratedCaption,
    double? GeneratedStyleProbability,
    double? StylizedReferenceProbability,
    double? FactualReferenceProbability);

/// <summary>The summary: percentages, null for metrics that were not asked for.</summary>
public sealed record StyleEvaluationSummary(
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("wr_logp")] double? WrLogP,
    [property: JsonPropertyName("style_acc")] double? StyleAcc,
    [property: JsonPropertyName("classifier_ceiling")] double? ClassifierCeiling);

public sealed record StyleEvaluationResult(IReadOnlyList<StyleEvaluationRecord> Records, StyleEvaluationSummary Summary)
{
    /// <summary>Content of the generated captions; null when no captions were generated.</summary>
    public ContentSummary? Content { get; init; }
}

/// <summary>
/// Runs the style metrics over examples: WR-LogP with a scorer (examples need a factual caption), Style-Acc with a
/// generator and a judge, and the judge's ceiling on the reference captions with a judge; with a generator, also the
/// content of the generated captions (<see cref="ContentEvaluation"/>, CLIPScore when a CLIP is given).
/// </summary>
public static class StyleEvaluator
{
    public static StyleEvaluationResult Evaluate(
        IReadOnlyList<PreferenceExample> examples,
        ICaptionScorer? scorer,
        ICaptionGenerator? generator = null,
        ICaptionStyleJudge? classifier = null,
        Action<int, int>? progress = null,
        ClipEmbeddingCache? contentClip = null)
    {
        if (examples.Count == 0) throw new ArgumentException("nothing to evaluate: no examples");
        if (generator is not null && classifier is null)
            throw new ArgumentException("Style-Acc needs a style classifier to judge the generated captions");
        var scored = new List<((double Mean, double Sum, int Tokens) Stylized, (double Mean, double Sum, int Tokens) Factual)?>(examples.Count);
        var generated = new List<string?>(examples.Count);
        foreach (var ex in examples)
        {
            if (scorer is not null && ex.Rejected is null)
                throw new ArgumentException($"example '{ex.Id}' (line {ex.LineNumber}) has no factual ('rejected') caption; WR-LogP compares the two");
            scored.Add(scorer is null ? null : (scorer.Score(ex, ex.Chosen), scorer.Score(ex, ex.Rejected!)));
            generated.Add(generator?.Generate(ex));
            progress?.Invoke(generated.Count, examples.Count);
        }

        double?[] generatedProbability = new double?[examples.Count], stylizedProbability = new double?[examples.Count], factualProbability = new double?[examples.Count];
        if (classifier is not null)
        {
            var asks = new List<(PreferenceExample Example, string Caption)>();
            var targets = new List<(double?[] Into, int Index)>();
            for (var i = 0; i < examples.Count; i++)
            {
                if (generated[i] is { } caption) Ask(generatedProbability, i, caption);
                Ask(stylizedProbability, i, examples[i].Chosen);
                if (examples[i].Rejected is { } factual) Ask(factualProbability, i, factual);
            }
            var probabilities = classifier.StyleProbabilities(asks);
            if (probabilities.Count != asks.Count) throw new InvalidOperationException($"the style judge answered {probabilities.Count} of {asks.Count} captions");
            for (var k = 0; k < asks.Count; k++) targets[k].Into[targets[k].Index] = probabilities[k];

            void Ask(double?[] into, int index, string caption)
            {
                asks.Add((examples[index], caption));
                targets.Add((into, index));
            }
        }

        var records = examples.Select((ex, i) => new StyleEvaluationRecord(
            ex.Id, ex.Style,
            scored[i]?.Stylized.Mean, scored[i]?.Stylized.Sum, scored[i]?.Stylized.Tokens,
            scored[i]?.Factual.Mean, scored[i]?.Factual.Sum, scored[i]?.Factual.Tokens,
            scored[i] is { } s ? WrLogP.StylizedWins(s.Stylized.Mean, s.Factual.Mean) : null,
            generated[i], generatedProbability[i], stylizedProbability[i], factualProbability[i])).ToList();
        var content = generator is null ? null : ContentEvaluation.Summarize(examples, generated.Select(c => c!).ToList(), contentClip);
        return new StyleEvaluationResult(records, Summarize(records, scorer is not null, generator is not null, classifier is not null)) { Content = content };
    }

    private static StyleEvaluationSummary Summarize(IReadOnlyList<StyleEvaluationRecord> records, bool scored, bool generated, bool judged)
    {
        double? wrLogP = scored ? WrLogP.Compute(records.Select(r => (r.StylizedMeanLogProb!.Value, r.FactualMeanLogProb!.Value))) : null;
        double? styleAcc = generated ? StyleAcc.Compute(records.Select(r => r.GeneratedStyleProbability!.Value)) : null;
        double? ceiling = judged
            ? StyleAcc.Ceiling(records.SelectMany(r => new[] { (r.StylizedReferenceProbability, true), (r.FactualReferenceProbability, false) })
                .Where(p => p.Item1 is not null).Select(p => (p.Item1!.Value, p.Item2)))
            : null;
        return new StyleEvaluationSummary(records.Count, wrLogP, styleAcc, ceiling);
    }
}
