using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.LogProbs;
using StyleAlign.Trainers.Objectives;

namespace StyleAlign.Tests.Objectives;

/// <summary>The worked vectors of docs/objectives.md ("Worked vectors"): one pair, per-token log-probs as float64 leaves.</summary>
[Category("Unit")]
public class ObjectiveVectorTests
{
    private static readonly double[] ChosenTokens = [-1.2, -0.3, -2.0];
    private static readonly double[] RejectedTokens = [-0.5, -1.7, -0.9, -3.1, -0.2];
    private static readonly double[] ReferenceSums = [-4.0, -6.0];

    private static (Tensor Tokens, RowLogProbs Rows) Pair()
    {
        var tokens = Tensor.FromDoubles([.. ChosenTokens, .. RejectedTokens], new Shape(8), DType.F64);
        tokens.RequiresGrad = true;
        var segments = Tensor.FromArray(new long[] { 0, 0, 0, 1, 1, 1, 1, 1 }, 8);
        return (tokens, new RowLogProbs(Segments.Sum(tokens, segments, 2), [3, 5]));
    }

    private static double[] Run(IObjective objective, out double loss)
    {
        var (tokens, rows) = Pair();
        var output = objective.Compute(rows, objective.UsesReference ? ReferenceSums : null);
        loss = output.Loss.Item();
        output.Loss.Backward();
        return tokens.Grad!.ToDoubleArray();
    }

    [Test]
    public void Dpo_sigmoid_matches_the_worked_vector()
    {
        var grad = Run(new DpoObjective(beta: 0.1), out var loss);
        Assert.That(loss, Is.EqualTo(0.649159).Within(1e-6));
        Assert.That(grad[0], Is.EqualTo(-0.047752).Within(1e-6), "∂L/∂S_c reaches every chosen token");
        Assert.That(grad[2], Is.EqualTo(-0.047752).Within(1e-6));
        Assert.That(grad[3], Is.EqualTo(0.047752).Within(1e-6), "∂L/∂S_r reaches every rejected token");
    }

    [Test]
    public void Cdpo_label_smoothing_matches_the_worked_vector()
    {
        var grad = Run(new DpoObjective(beta: 0.1, labelSmoothing: 0.1), out var loss);
        Assert.That(loss, Is.EqualTo(0.658159).Within(1e-6));
        Assert.That(grad[0], Is.EqualTo(0.1 * -0.377515).Within(1e-6), "∂L/∂S_c = β·∂L/∂z");
        Assert.That(grad[7], Is.EqualTo(-0.1 * -0.377515).Within(1e-6));
    }

    [Test]
    public void Robust_dpo_matches_the_worked_vector()
    {
        var grad = Run(new DpoObjective(beta: 0.1, lossType: DpoLossType.Robust, labelSmoothing: 0.1), out var loss);
        Assert.That(loss, Is.EqualTo(0.637909).Within(1e-6));
        Assert.That(grad[1], Is.EqualTo(0.1 * -0.602515).Within(1e-6));
        Assert.That(grad[4], Is.EqualTo(-0.1 * -0.602515).Within(1e-6));
    }

    [Test]
    public void Ipo_matches_the_worked_vector()
    {
        var grad = Run(new DpoObjective(beta: 0.1, lossType: DpoLossType.Ipo), out var loss);
        Assert.That(loss, Is.EqualTo(22.594178).Within(1e-5));
        Assert.That(grad[0], Is.EqualTo(-9.506667 / 3).Within(1e-5), "∂L/∂h̄ divided by the chosen length");
        Assert.That(grad[3], Is.EqualTo(9.506667 / 5).Within(1e-5), "−∂L/∂h̄ divided by the rejected length");
    }

    [Test]
    public void Simpo_matches_the_worked_vector()
    {
        var grad = Run(new SimPoObjective(beta: 2.5, gammaBetaRatio: 0.5), out var loss);
        Assert.That(loss, Is.EqualTo(1.289003).Within(1e-6));
        Assert.That(grad.Take(3), Is.All.EqualTo(-0.603712).Within(1e-6));
        Assert.That(grad.Skip(3), Is.All.EqualTo(0.362227).Within(1e-6));
    }

    [Test]
    public void Simpo_gamma_is_ratio_times_beta()
    {
        var objective = new SimPoObjective(beta: 2.5, gammaBetaRatio: 0.55);
        Assert.That(objective.Gamma, Is.EqualTo(1.375).Within(1e-12));
    }

    [Test]
    public void Cooling_dpo_scales_only_the_negative_gradient_by_a_constant_weight()
    {
        var objective = new CoolingDpoObjective(new CoolingOptions { Beta = 0.1, Temperature = 0.5, MinWeight = 0.05 });
        objective.LoadState(new Dictionary<string, double> { ["tau"] = -1.0 });
        var (tokens, rows) = Pair();
        var output = objective.Compute(rows, ReferenceSums);
        output.Loss.Backward();
        var grad = tokens.Grad!.ToDoubleArray();
        // τ ← 0.9·(−1) + 0.1·(−1.28) = −1.028; w = σ((−1.28 + 1.028)/0.5).
        var tau = 0.9 * -1.0 + 0.1 * -1.28;
        var w = ScalarMath.Sigmoid((-1.28 - tau) / 0.5);
        var z = 0.1 * ((-3.5 + 4.0) - w * (-6.4 + 6.0));
        var sigma = ScalarMath.Sigmoid(z);
        Assert.That(output.Metrics["cw/mean_w"], Is.EqualTo(w).Within(1e-12));
        Assert.That(output.Loss.Item(), Is.EqualTo(-ScalarMath.LogSigmoid(z)).Within(1e-12));
        Assert.That(grad[0], Is.EqualTo(0.1 * (sigma - 1)).Within(1e-12), "∂L/∂S⁺ = β(σ(z) − 1)");
        Assert.That(grad[3], Is.EqualTo(-0.1 * w * (sigma - 1)).Within(1e-12), "∂L/∂S⁻ = −β·w·(σ(z) − 1), nothing through w");
    }

    [Test]
    public void Cooling_weight_is_clipped_below_for_easy_negatives()
    {
        var objective = new CoolingDpoObjective(new CoolingOptions { MinWeight = 0.05, Temperature = 0.5 });
        objective.LoadState(new Dictionary<string, double> { ["tau"] = 0.0 });
        var weights = objective.CoolingWeights([-20.0, 0.0]);
        Assert.That(weights[0], Is.EqualTo(0.05), "an off-distribution negative gets w_min");
        Assert.That(weights[1], Is.GreaterThan(0.3).And.LessThanOrEqualTo(1.0));
    }

    [Test]
    public void Cooling_temperature_anneals_linearly_with_the_reported_progress()
    {
        IObjective objective = new CoolingDpoObjective(new CoolingOptions { Temperature = 1.0, FinalTemperature = 0.25 });
        var cooling = (CoolingDpoObjective)objective;
        Assert.That(cooling.Temperature, Is.EqualTo(1.0));
        objective.SetProgress(0.5);
        Assert.That(cooling.Temperature, Is.EqualTo(0.625).Within(1e-12));
        objective.SetProgress(2.0);
        Assert.That(cooling.Temperature, Is.EqualTo(0.25).Within(1e-12), "progress is clamped to [0, 1]");
    }

    [Test]
    public void Micro_batches_weigh_by_what_each_loss_is_a_mean_over()
    {
        var size = new MicroBatchSize(Pairs: 3, ChosenTargets: 17);
        Assert.That(new SftObjective().MicroBatchWeight(size), Is.EqualTo(17), "SFT is a token mean");
        foreach (var pairMean in new IObjective[] { new DpoObjective(), new SimPoObjective(), new CoolingDpoObjective(new CoolingOptions()), new GentleNegativeSftObjective() })
            Assert.That(pairMean.MicroBatchWeight(size), Is.EqualTo(3), pairMean.Name);
    }

    [Test]
    public void Gentle_negative_sft_weights_the_negative_token_mean()
    {
        var (tokens, rows) = Pair();
        var output = new GentleNegativeSftObjective(labelSmoothing: 0, negativeWeight: 0.1).Compute(rows, null);
        output.Loss.Backward();
        var grad = tokens.Grad!.ToDoubleArray();
        Assert.That(output.Loss.Item(), Is.EqualTo(3.5 / 3 + 0.1 * 6.4 / 5).Within(1e-12));
        Assert.That(grad[0], Is.EqualTo(-1.0 / 3).Within(1e-12));
        Assert.That(grad[3], Is.EqualTo(-0.1 / 5).Within(1e-12), "negatives are imitated with a small weight, never pushed down");
    }

    [Test]
    public void Sft_label_smoothing_mixes_in_the_vocabulary_mean()
    {
        var tokens = Tensor.FromDoubles([-1.0, -2.0], new Shape(2), DType.F64);
        tokens.RequiresGrad = true;
        var sums = Segments.Sum(tokens, Tensor.FromArray(new long[] { 0, 0 }, 2), 1);
        var vocabMean = Tensor.FromDoubles([-7.0], new Shape(1), DType.F64);
        var output = new SftObjective(labelSmoothing: 0.1).Compute(new RowLogProbs(sums, [2], vocabMean), null);
        Assert.That(output.Loss.Item(), Is.EqualTo((0.9 * 3.0 + 0.1 * 7.0) / 2).Within(1e-12));
    }

    [Test]
    public void Log_sigmoid_is_stable_and_has_the_right_slope_at_zero()
    {
        var x = Tensor.FromDoubles([-800, 0, 800], new Shape(3), DType.F64);
        x.RequiresGrad = true;
        var y = ScalarMath.LogSigmoid(x);
        y.Sum().Backward();
        Assert.That(y.ToDoubleArray(), Is.EqualTo(new[] { -800.0, -Math.Log(2), 0.0 }).Within(1e-12));
        Assert.That(x.Grad!.ToDoubleArray(), Is.EqualTo(new[] { 1.0, 0.5, 0.0 }).Within(1e-12));
    }
}
