using StyleAlign.Engine.Core;

namespace StyleAlign.Trainers.Objectives;

/// <summary>The chosen and rejected halves of a [chosen…; rejected…] batch, as tensors in the device's scalar dtype (<see cref="ScalarMath.ScalarDType"/>) and as values.</summary>
internal sealed class PairRows
{
    public PairRows(RowLogProbs policy, double[]? referenceSums, bool needReference)
    {
        if (policy.Rows % 2 != 0 || policy.Rows == 0)
            throw new ArgumentException($"a preference batch needs [chosen…; rejected…] rows, got {policy.Rows} rows");
        if (needReference && (referenceSums is null || referenceSums.Length != policy.Rows))
            throw new ArgumentException($"the objective needs {policy.Rows} reference sums, got {referenceSums?.Length.ToString() ?? "none"}");
        if (policy.Lengths.Any(l => l <= 0))
            throw new ArgumentException("every row needs at least one completion target token");
        Pairs = policy.Rows / 2;
        var sums = ScalarMath.Wide(policy.Sums);
        Chosen = sums.Narrow(0, 0, Pairs);
        Rejected = sums.Narrow(0, Pairs, Pairs);
        var values = policy.Sums.ToDoubleArray();
        ChosenSums = values[..Pairs];
        RejectedSums = values[Pairs..];
        ChosenLengths = policy.Lengths[..Pairs];
        RejectedLengths = policy.Lengths[Pairs..];
        ReferenceChosen = referenceSums?[..Pairs];
        ReferenceRejected = referenceSums?[Pairs..];
        Device = policy.Sums.Device;
    }

    public int Pairs { get; }
    public Device Device { get; }
    public Tensor Chosen { get; }
    public Tensor Rejected { get; }
    public double[] ChosenSums { get; }
    public double[] RejectedSums { get; }
    public double[] ChosenLengths { get; }
    public double[] RejectedLengths { get; }
    public double[]? ReferenceChosen { get; }
    public double[]? ReferenceRejected { get; }

    public Tensor Const(double[] values) => ScalarMath.Constant(values, Device);

    public double[] ChosenAverages => ChosenSums.Zip(ChosenLengths, (s, l) => s / l).ToArray();

    public double[] RejectedAverages => RejectedSums.Zip(RejectedLengths, (s, l) => s / l).ToArray();

    /// <summary>TRL's reward metrics for per-pair rewards r_c, r_r and logged log-probs.</summary>
    public static Dictionary<string, double> RewardMetrics(double loss, double[] rewardChosen, double[] rewardRejected, double[] logpChosen, double[] logpRejected)
    {
        var n = rewardChosen.Length;
        return new Dictionary<string, double>
        {
            ["loss"] = loss,
            ["rewards/chosen"] = rewardChosen.Average(),
            ["rewards/rejected"] = rewardRejected.Average(),
            ["rewards/accuracies"] = Enumerable.Range(0, n).Count(i => rewardChosen[i] > rewardRejected[i]) / (double)n,
            ["rewards/margins"] = Enumerable.Range(0, n).Average(i => rewardChosen[i] - rewardRejected[i]),
            ["logps/chosen"] = logpChosen.Average(),
            ["logps/rejected"] = logpRejected.Average(),
        };
    }

    /// <summary>Per-pair −(1−ε)·logσ(z) − ε·logσ(−z) (ε = 0: plain −logσ(z)).</summary>
    public static Tensor SmoothedSigmoidLoss(Tensor z, double labelSmoothing)
    {
        var loss = -ScalarMath.LogSigmoid(z) * (1 - labelSmoothing);
        return labelSmoothing == 0 ? loss : loss - ScalarMath.LogSigmoid(-z) * labelSmoothing;
    }
}
