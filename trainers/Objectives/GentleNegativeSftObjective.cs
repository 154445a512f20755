namespace StyleAlign.Trainers.Objectives;

/// <summary>
/// CW-DPO stage 1 (a PROPOSAL, docs/objectives.md, "CW-DPO"): CEε(y⁺) + λ_g·CEε(y⁻), each a label-smoothed token mean over its
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
    /// <summary>Each half is a token mean within its micro-batch; micro-batches weigh by their pairs.</summary>
    public double MicroBatchWeight(MicroBatchSize size) => size.Pairs;

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
