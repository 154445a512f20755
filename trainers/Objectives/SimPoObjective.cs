using StyleAlign.Engine.Core;

namespace StyleAlign.Trainers.Objectives;

/// <summary>
/// SimPO (docs/objectives.md, "SimPO"): z = β·(A_c − A_r) − γ with γ = gamma_beta_ratio·β, loss −(1−ε)logσ(z) − ε·logσ(−z)
/// averaged over pairs, plus an optional sft_weight · token-mean NLL of the chosen captions. Rewards are β·A (γ not included).
/// </summary>
public sealed class SimPoObjective : IObjective
{
    public SimPoObjective(double beta = 2.0, double gammaBetaRatio = 0.5, double labelSmoothing = 0, double sftWeight = 0)
    {
        if (beta <= 0) throw new ArgumentOutOfRangeException(nameof(beta), $"beta {beta} must be positive");
        if (labelSmoothing is < 0 or >= 0.5) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"label smoothing {labelSmoothing} must lie in [0, 0.5)");
        if (sftWeight < 0) throw new ArgumentOutOfRangeException(nameof(sftWeight), $"sft weight {sftWeight} must not be negative");
        Beta = beta;
        GammaBetaRatio = gammaBetaRatio;
        LabelSmoothing = labelSmoothing;
        SftWeight = sftWeight;
    }

    public double Beta { get; }
    public double GammaBetaRatio { get; }
    public double Gamma => GammaBetaRatio * Beta;
    public double LabelSmoothing { get; }
    public double SftWeight { get; }
    public string Name => "simpo";
    public bool UsesRejected => true;
    public bool UsesReference => false;
    public bool UsesVocabMean => false;
    public double MicroBatchWeight(MicroBatchSize size) => size.Pairs;

    public ObjectiveOutput Compute(RowLogProbs policy, double[]? referenceSums)
    {
        var rows = new PairRows(policy, null, needReference: false);
        var averageChosen = rows.Chosen / rows.Const(rows.ChosenLengths);
        var averageRejected = rows.Rejected / rows.Const(rows.RejectedLengths);
        var z = (averageChosen - averageRejected) * Beta - Gamma;
        var loss = PairRows.SmoothedSigmoidLoss(z, LabelSmoothing).Mean();
        double? nll = null;
        if (SftWeight > 0)
        {
            var chosenNll = -rows.Chosen.Sum() / rows.ChosenLengths.Sum();
            nll = chosenNll.Item();
            loss = loss + chosenNll * SftWeight;
        }
        var a = rows.ChosenAverages;
        var r = rows.RejectedAverages;
        var metrics = PairRows.RewardMetrics(loss.Item(), a.Select(v => Beta * v).ToArray(), r.Select(v => Beta * v).ToArray(), a, r);
        if (nll is { } value) metrics["nll_loss"] = value;
        return new ObjectiveOutput(loss, metrics);
    }
}
