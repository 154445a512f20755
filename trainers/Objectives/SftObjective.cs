using StyleAlign.Engine.Core;

namespace StyleAlign.Trainers.Objectives;

/// <summary>
/// Completion-only SFT (docs/objectives.md, "SFT"): token-mean over the batch of −(1−ε)·ℓ_t − ε·mean_v log p_t(v).
/// Rows are the chosen captions only.
/// </summary>
public sealed class SftObjective : IObjective
{
    public SftObjective(double labelSmoothing = 0)
    {
        if (labelSmoothing is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"label smoothing {labelSmoothing} must lie in [0, 1)");
        LabelSmoothing = labelSmoothing;
    }

    public double LabelSmoothing { get; }
    public string Name => "sft";
    public bool UsesRejected => false;
    public bool UsesReference => false;
    public bool UsesVocabMean => LabelSmoothing > 0;
    /// <summary>A token mean: micro-batches weigh by their target tokens (TRL's num_items_in_batch).</summary>
    public double MicroBatchWeight(MicroBatchSize size) => size.ChosenTargets;

    public ObjectiveOutput Compute(RowLogProbs policy, double[]? referenceSums)
    {
        var loss = SmoothedTokenMean(policy, 0, policy.Rows, LabelSmoothing);
        var sums = policy.Sums.ToDoubleArray();
        var metrics = new Dictionary<string, double>
        {
            ["loss"] = loss.Item(),
            ["nll_loss"] = -sums.Sum() / policy.Lengths.Sum(),
            ["logps/chosen"] = sums.Select((s, i) => s / policy.Lengths[i]).Average(),
        };
        return new ObjectiveOutput(loss, metrics);
    }

    /// <summary>Σ over rows [start, start+count) of −(1−ε)·S − ε·U, divided by their target count (a token mean).</summary>
    internal static Tensor SmoothedTokenMean(RowLogProbs policy, int start, int count, double labelSmoothing)
    {
        var tokens = policy.Lengths.Skip(start).Take(count).Sum();
        if (tokens <= 0) throw new ArgumentException("the batch holds no completion target tokens");
        var sums = ScalarMath.Wide(policy.Sums).Narrow(0, start, count);
        var perRow = sums * -(1 - labelSmoothing);
        if (labelSmoothing > 0)
        {
            var vocabMean = policy.VocabMeanSums ?? throw new ArgumentException("label smoothing needs the per-row vocabulary-mean log-probs");
            perRow = perRow - ScalarMath.Wide(vocabMean).Narrow(0, start, count) * labelSmoothing;
        }
        return perRow.Sum() / tokens;
    }
}
