using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Trainers.Evaluation;

/// <summary>Per-pair average token log-probs A(stylized), A(factual) of an evaluation set and the WR-LogP they give.</summary>
public sealed record WrLogPResult(double[] ChosenAverages, double[] RejectedAverages)
{
    /// <summary>WR-LogP in percent.</summary>
    public double WinRate => WrLogP.Compute(ChosenAverages.Zip(RejectedAverages));

    public double MeanChosen => ChosenAverages.Average();

    public double MeanRejected => RejectedAverages.Average();

    /// <summary>The Δlog p probes since <paramref name="baseline"/>: Δ⁺ and Δ⁻, the mean change of each side's average
    /// token log-prob, and their difference (docs/objectives.md, "Δlog p probes").</summary>
    public (double Positive, double Negative, double Margin) ProbesSince(WrLogPResult baseline)
    {
        var positive = ChosenAverages.Select((a, i) => a - baseline.ChosenAverages[i]).Average();
        var negative = RejectedAverages.Select((a, i) => a - baseline.RejectedAverages[i]).Average();
        return (positive, negative, positive - negative);
    }
}

/// <summary>
/// WR-LogP, the percentage of pairs whose stylized reference caption has a strictly higher mean token log-prob than
/// the factual one under the evaluated model, same image and prompt; ties lose (docs/objectives.md, "WR-LogP").
/// Every WR-LogP the project reports goes through <see cref="StylizedWins"/> and <see cref="Compute"/>.
/// </summary>
public static class WrLogP
{
    /// <summary>Whether one pair counts as a win: strictly higher, so a tie is a loss.</summary>
    public static bool StylizedWins(double stylizedMean, double factualMean) => stylizedMean > factualMean;

    public static double Compute(IEnumerable<(double StylizedMean, double FactualMean)> pairs)
    {
        var n = 0;
        var wins = 0;
        foreach (var (stylized, factual) in pairs)
        {
            if (double.IsNaN(stylized) || double.IsNaN(factual)) throw new ArgumentException($"WR-LogP pair {n} holds NaN ({stylized}, {factual})");
            n++;
            if (StylizedWins(stylized, factual)) wins++;
        }
        if (n == 0) throw new ArgumentException("WR-LogP of no examples is undefined");
        return 100.0 * wins / n;
    }

    /// <summary>Scores every pair's chosen (stylized) and rejected (factual) caption with the training rows, in batches.</summary>
    public static WrLogPResult Evaluate(Qwen25VLModel model, PreferenceCollator collator, IReadOnlyList<PreferenceExample> pairs, int batchSize)
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
        return new WrLogPResult([.. chosen], [.. rejected]);
    }
}
