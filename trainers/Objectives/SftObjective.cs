using StyleAlign.Engine.Core;

namespace StyleAlign.Trainers.Objectives;

/// <summary>
/// Completion-only SFT (alignment spec §2.1): token-mean over the batch of −(1−ε)·ℓ_t − ε·mean_v log p_t(v).
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
    public IReadOnlyDictionary<string, double> State => new Dictionary<string, double>();

    public void LoadState(IReadOnlyDictionary<string, double> state)
    {
    }

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

/// <summary>
/// CW-DPO stage 1 [PROPOSAL, alignment spec §1(b)]: CEε(y⁺) + λ_g·CEε(y⁻), each a label-smoothed token mean over its
/// half of a [chosen…; rejected…] batch. Negatives are imitated with a small weight, never pushed down.
/// </summary>
public sealed class GentleNegativeSftObjective : IObjective
{
    public GentleNegativeSftObjective(double labelSmoothing = 0.1, double negativeWeight = 0.1)
    {
        if (labelSmoothing is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"label smoothing {labelSmoothing} must lie in [0, 1)");
        if (negativeWeight < 0) throw new ArgumentOutOfRangeException(nameof(negativeWeight), $"negative weight {negativeWeight} must not be negative");
        LabelSmoothing = labelSmoothing;
        NegativeWeight = negativeWeight;
    }

    public double LabelSmoothing { get; }
    public double NegativeWeight { get; }
    public string Name => "cwdpo-stage1";
    public bool UsesRejected => true;
    public bool UsesReference => false;
    public bool UsesVocabMean => LabelSmoothing > 0;
    public IReadOnlyDictionary<string, double> State => new Dictionary<string, double>();

    public void LoadState(IReadOnlyDictionary<string, double> state)
    {
    }

    public ObjectiveOutput Compute(RowLogProbs policy, double[]? referenceSums)
    {
        var rows = new PairRows(policy, null, needReference: false);
        var positive = SftObjective.SmoothedTokenMean(policy, 0, rows.Pairs, LabelSmoothing);
        var negative = SftObjective.SmoothedTokenMean(policy, rows.Pairs, rows.Pairs, LabelSmoothing);
        var loss = positive + negative * NegativeWeight;
        var metrics = new Dictionary<string, double>
        {
            ["loss"] = loss.Item(),
            ["ce/positive"] = positive.Item(),
            ["ce/negative"] = negative.Item(),
            ["logps/chosen"] = rows.ChosenAverages.Average(),
            ["logps/rejected"] = rows.RejectedAverages.Average(),
        };
        return new ObjectiveOutput(loss, metrics);
    }
}
