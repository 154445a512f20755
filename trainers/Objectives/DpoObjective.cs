using StyleAlign.Engine.Core;

namespace StyleAlign.Trainers.Objectives;

/// <summary>DPO loss variants (TRL <c>loss_type</c>): sigmoid (with cDPO label smoothing), robust and IPO.</summary>
public enum DpoLossType
{
    Sigmoid,
    Robust,
    Ipo,
}

/// <summary>
/// DPO on sequence sums (docs/objectives.md, "DPO family"): h = (S_c − R_c) − (S_r − R_r); sigmoid: −(1−ε)logσ(βh) − ε·logσ(−βh);
/// robust: [−(1−ε)logσ(βh) + ε·logσ(−βh)]/(1−2ε); IPO: (h̄ − 1/(2β))² with length-normalized log-ratios. Mean over pairs.
/// </summary>
public sealed class DpoObjective : IObjective
{
    public DpoObjective(double beta = 0.1, DpoLossType lossType = DpoLossType.Sigmoid, double labelSmoothing = 0)
    {
        if (beta <= 0) throw new ArgumentOutOfRangeException(nameof(beta), $"beta {beta} must be positive");
        if (labelSmoothing is < 0 or >= 0.5) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"label smoothing {labelSmoothing} must lie in [0, 0.5)");
        Beta = beta;
        LossType = lossType;
        LabelSmoothing = labelSmoothing;
    }

    public double Beta { get; }
    public DpoLossType LossType { get; }
    public double LabelSmoothing { get; }
    public string Name => LossType switch { DpoLossType.Robust => "dpo-robust", DpoLossType.Ipo => "ipo", _ => "dpo" };
    public bool UsesRejected => true;
    public bool UsesReference => true;
    public bool UsesVocabMean => false;
    public double MicroBatchWeight(MicroBatchSize size) => size.Pairs;

    public ObjectiveOutput Compute(RowLogProbs policy, double[]? referenceSums)
    {
        var rows = new PairRows(policy, referenceSums, needReference: true);
        var deltaChosen = rows.Chosen - rows.Const(rows.ReferenceChosen!);
        var deltaRejected = rows.Rejected - rows.Const(rows.ReferenceRejected!);
        Tensor perPair;
        if (LossType == DpoLossType.Ipo)
        {
            var normalized = deltaChosen / rows.Const(rows.ChosenLengths) - deltaRejected / rows.Const(rows.RejectedLengths);
            perPair = (normalized - 1 / (2 * Beta)).Square();
        }
        else
        {
            var z = (deltaChosen - deltaRejected) * Beta;
            perPair = LossType == DpoLossType.Robust
                ? (-ScalarMath.LogSigmoid(z) * (1 - LabelSmoothing) + ScalarMath.LogSigmoid(-z) * LabelSmoothing) / (1 - 2 * LabelSmoothing)
                : PairRows.SmoothedSigmoidLoss(z, LabelSmoothing);
        }
        var loss = perPair.Mean();
        var rewardChosen = rows.ChosenSums.Select((s, i) => Beta * (s - rows.ReferenceChosen![i])).ToArray();
        var rewardRejected = rows.RejectedSums.Select((s, i) => Beta * (s - rows.ReferenceRejected![i])).ToArray();
        var metrics = PairRows.RewardMetrics(loss.Item(), rewardChosen, rewardRejected, rows.ChosenSums, rows.RejectedSums);
        return new ObjectiveOutput(loss, metrics);
    }
}
