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

/// <summary>Probability that a caption is in the target style for an example's image.</summary>
public interface ICaptionStyleJudge
{
    double StyleProbability(PreferenceExample example, string caption);
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

public sealed record StyleEvaluationResult(IReadOnlyList<StyleEvaluationRecord> Records, StyleEvaluationSummary Summary);

/// <summary>
/// Runs the style metrics over examples: WR-LogP with a scorer (examples need a factual caption), Style-Acc with a
/// generator and a judge, and the judge's ceiling on the reference captions with a judge.
/// </summary>
public static class StyleEvaluator
{
    public static StyleEvaluationResult Evaluate(
        IReadOnlyList<PreferenceExample> examples,
        ICaptionScorer? scorer,
        ICaptionGenerator? generator = null,
        ICaptionStyleJudge? classifier = null,
        Action<int, int>? progress = null)
    {
        if (examples.Count == 0) throw new ArgumentException("nothing to evaluate: no examples");
        if (generator is not null && classifier is null)
            throw new ArgumentException("Style-Acc needs a style classifier to judge the generated captions");
        var records = new List<StyleEvaluationRecord>(examples.Count);
        foreach (var ex in examples)
        {
            (double Mean, double Sum, int Tokens)? stylized = null, factual = null;
            if (scorer is not null)
            {
                if (ex.Rejected is null)
                    throw new ArgumentException($"example '{ex.Id}' (line {ex.LineNumber}) has no factual ('rejected') caption; WR-LogP compares the two");
                stylized = scorer.Score(ex, ex.Chosen);
                factual = scorer.Score(ex, ex.Rejected);
            }
            var generated = generator?.Generate(ex);
            double? generatedProbability = generated is not null ? classifier!.StyleProbability(ex, generated) : null;
            double? stylizedProbability = classifier?.StyleProbability(ex, ex.Chosen);
            double? factualProbability = classifier is not null && ex.Rejected is not null ? classifier.StyleProbability(ex, ex.Rejected) : null;
            records.Add(new StyleEvaluationRecord(
                ex.Id, ex.Style,
                stylized?.Mean, stylized?.Sum, stylized?.Tokens,
                factual?.Mean, factual?.Sum, factual?.Tokens,
                stylized is not null ? stylized.Value.Mean > factual!.Value.Mean : null,
                generated, generatedProbability, stylizedProbability, factualProbability));
            progress?.Invoke(records.Count, examples.Count);
        }
        return new StyleEvaluationResult(records, Summarize(records, scorer is not null, generator is not null, classifier is not null));
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
