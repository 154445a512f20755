using StyleAlign.Engine.Core;

namespace StyleAlign.Trainers.Objectives;

/// <summary>Settings of CW-DPO stage 2. Every constant is a PROPOSAL (docs/objectives.md, "CW-DPO"); the paper's are unknown.</summary>
public sealed record CoolingOptions
{
    public double Beta { get; init; } = 0.1;
    /// <summary>Cooling temperature T in nats per token.</summary>
    public double Temperature { get; init; } = 0.5;
    /// <summary>When set, T anneals linearly from <see cref="Temperature"/> to this value over training.</summary>
    public double? FinalTemperature { get; init; }
    public double MinWeight { get; init; } = 0.05;
    /// <summary>Momentum of τ, the EMA of the batch-mean average log-prob of the negatives.</summary>
    public double TauMomentum { get; init; } = 0.9;
    /// <summary>Keep z = β(Δ⁺ − Δ⁻) and scale only the negative's gradient by w.</summary>
    public bool GradientOnly { get; init; }
}

/// <summary>
/// CW-DPO stage 2 [PROPOSAL]: z = β·(Δ⁺ − w·Δ⁻), L = −logσ(z) averaged over pairs, with the stop-gradient cooling weight
/// w = clip(σ((Ā⁻ − τ)/T), w_min, 1) computed from the negative's average token log-prob under the current policy.
/// </summary>
public sealed class CoolingDpoObjective(CoolingOptions options) : IObjective
{
    private double _tau = double.NaN;
    private double _progress;

    public CoolingOptions Options { get; } = options;
    public string Name => "cwdpo";
    public bool UsesRejected => true;
    public bool UsesReference => true;
    public bool UsesVocabMean => false;

    /// <summary>The current temperature, annealed by <see cref="SetProgress"/> when a final temperature is set.</summary>
    public double Temperature => Options.FinalTemperature is { } end ? Options.Temperature + (end - Options.Temperature) * _progress : Options.Temperature;

    public double MicroBatchWeight(MicroBatchSize size) => size.Pairs;

    public IReadOnlyDictionary<string, double> State => new Dictionary<string, double> { ["tau"] = _tau };

    public void LoadState(IReadOnlyDictionary<string, double> state) => _tau = state.TryGetValue("tau", out var tau) ? tau : double.NaN;

    /// <summary>Fraction of training done, in [0, 1].</summary>
    public void SetProgress(double fraction) => _progress = Math.Clamp(fraction, 0, 1);

    /// <summary>w per pair for the negatives' average log-probs, after updating τ with this batch.</summary>
    public double[] CoolingWeights(double[] negativeAverages)
    {
        var batchMean = negativeAverages.Average();
        _tau = double.IsNaN(_tau) ? batchMean : Options.TauMomentum * _tau + (1 - Options.TauMomentum) * batchMean;
        var temperature = Temperature;
        return negativeAverages.Select(a => Math.Clamp(ScalarMath.Sigmoid((a - _tau) / temperature), Options.MinWeight, 1)).ToArray();
    }

    public ObjectiveOutput Compute(RowLogProbs policy, double[]? referenceSums)
    {
        var rows = new PairRows(policy, referenceSums, needReference: true);
        var negativeAverages = rows.RejectedAverages;
        var weights = CoolingWeights(negativeAverages);
        var w = rows.Const(weights);
        var deltaChosen = rows.Chosen - rows.Const(rows.ReferenceChosen!);
        var deltaRejected = rows.Rejected - rows.Const(rows.ReferenceRejected!);
        Tensor weightedRejected;
        if (Options.GradientOnly)
        {
            // Value Δ⁻, gradient w·∂Δ⁻: the (1−w) share enters as a constant.
            var frozen = rows.Const(rows.RejectedSums.Select((s, i) => s - rows.ReferenceRejected![i]).ToArray());
            weightedRejected = deltaRejected * w + frozen * (1 - w);
        }
        else
        {
            weightedRejected = deltaRejected * w;
        }
        var z = (deltaChosen - weightedRejected) * Options.Beta;
        var loss = (-ScalarMath.LogSigmoid(z)).Mean();
        var rewardChosen = rows.ChosenSums.Select((s, i) => Options.Beta * (s - rows.ReferenceChosen![i])).ToArray();
        var rewardRejected = rows.RejectedSums.Select((s, i) => Options.Beta * (s - rows.ReferenceRejected![i])).ToArray();
        var metrics = PairRows.RewardMetrics(loss.Item(), rewardChosen, rewardRejected, rows.ChosenSums, rows.RejectedSums);
        metrics["cw/mean_w"] = weights.Average();
        metrics["cw/frac_w_below_0.1"] = weights.Count(x => x < 0.1) / (double)weights.Length;
        metrics["cw/avg_logp_rejected"] = negativeAverages.Average();
        metrics["cw/tau"] = _tau;
        return new ObjectiveOutput(loss, metrics);
    }
}
