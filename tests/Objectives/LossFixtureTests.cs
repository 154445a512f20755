using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.FusedOps.LogProbs;
using StyleAlign.Trainers.Objectives;

namespace StyleAlign.Tests.Objectives;

/// <summary>The objectives against the plain-torch reference losses in fixtures/losses (atol 1e-6).</summary>
[Category("Golden")]
public class LossFixtureTests
{
    private const int Batch = 3, Slots = 8;

    private sealed record Fixture(SafetensorsFile File, Tensor Tokens, RowLogProbs Rows, double[] ReferenceSums, List<(int Row, int Slot)> Positions)
    {
        public double[] Expected(string name) => File.ReadAsFloat64(name);
    }

    private static Fixture Load()
    {
        var path = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "losses", "losses.safetensors");
        var file = SafetensorsFile.Open(path);
        var values = new List<double>();
        var segments = new List<long>();
        var positions = new List<(int, int)>();
        var lengths = new double[2 * Batch];
        var referenceSums = new double[2 * Batch];
        foreach (var (half, offset) in new[] { ("chosen", 0), ("rejected", Batch) })
        {
            var logps = file.ReadAsFloat64($"{half}_logps");
            var mask = file.ReadAsFloat64($"{half}_mask");
            for (var b = 0; b < Batch; b++)
                for (var t = 0; t < Slots; t++)
                {
                    if (mask[b * Slots + t] == 0) continue;
                    values.Add(logps[b * Slots + t]);
                    segments.Add(offset + b);
                    positions.Add((offset + b, t));
                    lengths[offset + b]++;
                }
        }
        // The reference sums the fixture computed itself, so no re-summation rounding enters.
        referenceSums = [.. file.ReadAsFloat64("ref_chosen_logp_sum"), .. file.ReadAsFloat64("ref_rejected_logp_sum")];
        var tokens = Tensor.FromDoubles([.. values], new Shape(values.Count), DType.F64);
        tokens.RequiresGrad = true;
        var sums = Segments.Sum(tokens, Tensor.FromArray(segments.ToArray(), segments.Count), 2 * Batch);
        return new Fixture(file, tokens, new RowLogProbs(sums, lengths), referenceSums, positions);
    }

    private static void AssertGradients(Fixture f, string loss, bool rejectedIsZero = false)
    {
        var grad = f.Tokens.Grad!.ToDoubleArray();
        var chosen = f.Expected($"grad.{loss}.chosen_logps");
        var rejected = f.Expected($"grad.{loss}.rejected_logps");
        for (var i = 0; i < f.Positions.Count; i++)
        {
            var (row, slot) = f.Positions[i];
            var expected = row < Batch ? chosen[row * Slots + slot] : rejected[(row - Batch) * Slots + slot];
            Assert.That(grad.Length > i ? grad[i] : double.NaN, Is.EqualTo(expected).Within(1e-6), $"{loss}: gradient of row {row}, slot {slot}");
        }
        if (rejectedIsZero) Assert.That(rejected, Is.All.EqualTo(0.0));
    }

    [Test]
    public void Dpo_loss_rewards_and_gradients_match()
    {
        var f = Load();
        using var _ = f.File;
        var output = new DpoObjective(beta: 0.1).Compute(f.Rows, f.ReferenceSums);
        Assert.That(output.Loss.Item(), Is.EqualTo(f.Expected("dpo")[0]).Within(1e-6));
        Assert.That(output.Metrics["rewards/chosen"], Is.EqualTo(f.Expected("dpo_chosen_rewards").Average()).Within(1e-6));
        Assert.That(output.Metrics["rewards/rejected"], Is.EqualTo(f.Expected("dpo_rejected_rewards").Average()).Within(1e-6));
        output.Loss.Backward();
        AssertGradients(f, "dpo");
    }

    [Test]
    public void Simpo_loss_rewards_and_gradients_match()
    {
        var f = Load();
        using var _ = f.File;
        var output = new SimPoObjective(beta: 2.0, gammaBetaRatio: 0.5).Compute(f.Rows, null);
        Assert.That(output.Loss.Item(), Is.EqualTo(f.Expected("simpo")[0]).Within(1e-6));
        Assert.That(output.Metrics["rewards/chosen"], Is.EqualTo(f.Expected("simpo_chosen_rewards").Average()).Within(1e-6));
        output.Loss.Backward();
        AssertGradients(f, "simpo");
    }

    [Test]
    public void Sft_token_mean_matches_on_the_chosen_rows()
    {
        var f = Load();
        using var _ = f.File;
        var chosenOnly = new RowLogProbs(f.Rows.Sums.Narrow(0, 0, Batch), f.Rows.Lengths[..Batch]);
        var output = new SftObjective().Compute(chosenOnly, null);
        Assert.That(output.Loss.Item(), Is.EqualTo(f.Expected("sft_token_mean")[0]).Within(1e-6));
        output.Loss.Backward();
        AssertGradients(f, "sft_token_mean", rejectedIsZero: true);
    }
}
