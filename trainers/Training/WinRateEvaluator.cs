using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Evaluation;

namespace StyleAlign.Trainers.Training;

/// <summary>Per-pair average token log-probs A(stylized), A(factual) of an evaluation set and the WR-LogP they give.</summary>
public sealed record EvaluationResult(double[] ChosenAverages, double[] RejectedAverages)
{
    /// <summary>WR-LogP in percent: pairs where A(stylized) &gt; A(factual), strictly (ties lose).</summary>
    public double WinRate => WrLogP.Compute(ChosenAverages.Zip(RejectedAverages));

    public double MeanChosen => ChosenAverages.Average();

    public double MeanRejected => RejectedAverages.Average();
}

/// <summary>
/// WR-LogP, the primary reading of alignment spec §1(a) [PROPOSAL]: the length-normalized log-prob of the stylized
/// reference caption against the factual one under the same prompt and image, strict &gt;, in percent. Its averages
/// are also the Δlog p probes (§1(b)).
/// </summary>
public static class WinRateEvaluator
{
    public static EvaluationResult Evaluate(Qwen25VLModel model, PreferenceCollator collator, IReadOnlyList<PreferenceExample> pairs, int batchSize)
    {
        var chosen = new List<double>();
        var rejected = new List<double>();
        foreach (var chunk in pairs.Chunk(Math.Max(1, batchSize)))
        {
            var batch = collator.Collate(chunk, includeRejected: true);
            var (sums, lengths) = BatchScorer.ScoreValues(model, batch);
            for (var i = 0; i < chunk.Length; i++)
            {
                chosen.Add(sums[i] / lengths[i]);
                rejected.Add(sums[chunk.Length + i] / lengths[chunk.Length + i]);
            }
        }
        return new EvaluationResult([.. chosen], [.. rejected]);
    }

    /// <summary>Δ⁺, Δ⁻ (mean change of the per-token log-prob since the baseline) and their difference.</summary>
    public static (double Positive, double Negative, double Margin) Probes(EvaluationResult baseline, EvaluationResult current)
    {
        var positive = current.ChosenAverages.Select((a, i) => a - baseline.ChosenAverages[i]).Average();
        var negative = current.RejectedAverages.Select((a, i) => a - baseline.RejectedAverages[i]).Average();
        return (positive, negative, positive - negative);
    }
}

/// <summary>
/// Early stopping on the Δlog p probes [PROPOSAL, alignment spec §1(b)]: stop when Δ⁺ has fallen for
/// <see cref="Patience"/> consecutive evaluations while Δ⁻ kept falling (the squeezing signature), or when Δ⁺ drops
/// below <see cref="PositiveFloor"/> nats per token.
/// </summary>
public sealed record EarlyStopOptions
{
    public int Patience { get; init; } = 3;
    public double PositiveFloor { get; init; } = -0.05;

    /// <summary>The reason to stop after this history of (Δ⁺, Δ⁻) probes, or null to go on.</summary>
    public string? Check(IReadOnlyList<(double Positive, double Negative)> history)
    {
        if (history.Count == 0) return null;
        var last = history[^1];
        if (last.Positive < PositiveFloor) return $"Δ⁺ = {last.Positive:F4} nats/token fell below {PositiveFloor}";
        if (history.Count <= Patience) return null;
        for (var k = history.Count - Patience; k < history.Count; k++)
            if (!(history[k].Positive < history[k - 1].Positive && history[k].Negative < history[k - 1].Negative)) return null;
        return $"squeezing: Δ⁺ and Δ⁻ both fell for {Patience} consecutive evaluations";
    }
}
