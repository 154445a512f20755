using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.LogProbs;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Objectives;

namespace StyleAlign.Tests.Objectives;

/// <summary>
/// The plain-torch reference losses of fixtures/losses reached through the shared-prefix layout: a batch whose rows have
/// the fixture's completion lengths is packed [prompt | chosen | rejected] per pair, the fixture's token log-probs stand
/// at the packed targets in gather order, and the per-row sums that feed the objectives give the fixture's losses and
/// per-token gradients (atol 1e-6).
/// </summary>
[Category("Golden")]
public class SharedPrefixLossFixtureTests
{
    private const int Pairs = 3, Slots = 8, Prompt = 5;

    [TestCase("dpo"), TestCase("simpo"), TestCase("sft_token_mean")]
    public void Losses_and_token_gradients_match_through_the_shared_layout(string loss)
    {
        using var file = SafetensorsFile.Open(Compare.FixturePath("losses", "losses.safetensors"));
        var model = Qwen25VLModel.Load(Compare.FixturePath("qwen25vl_tiny"));
        var withRejected = loss != "sft_token_mean";
        var batch = Batch(file, withRejected);
        var packed = batch.Pack(model);
        if (withRejected) Assert.That(packed.Sequences.SharedTokenCount, Is.EqualTo(Pairs * Prompt), "each pair's prompt runs once");

        // The fixture's log-prob of the k-th target of row r, in the order the packed gather selects targets.
        var logps = new[] { file.ReadAsFloat64("chosen_logps"), file.ReadAsFloat64("rejected_logps") };
        var values = new double[packed.Targets.Length];
        var slots = new (int Half, int Index)[values.Length];
        var seen = new int[batch.Rows];
        for (var i = 0; i < values.Length; i++)
        {
            var row = (int)packed.TargetSegments[i];
            var (half, pair) = (row / Pairs, row % Pairs);
            slots[i] = (half, pair * Slots + seen[row]++);
            values[i] = logps[half][slots[i].Index];
        }
        var tokens = Tensor.FromDoubles(values, new Shape(values.Length), DType.F64);
        tokens.RequiresGrad = true;
        var sums = Segments.Sum(tokens, Tensor.FromArray(packed.TargetSegments, values.Length), batch.Rows);
        var rows = new RowLogProbs(sums, batch.TargetCounts());
        var references = withRejected ? [.. file.ReadAsFloat64("ref_chosen_logp_sum"), .. file.ReadAsFloat64("ref_rejected_logp_sum")] : (double[]?)null;
        IObjective objective = loss switch
        {
            "dpo" => new DpoObjective(beta: 0.1),
            "simpo" => new SimPoObjective(beta: 2.0, gammaBetaRatio: 0.5),
            _ => new SftObjective(),
        };
        var output = objective.Compute(rows, references);
        Assert.That(output.Loss.Item(), Is.EqualTo(file.ReadAsFloat64(loss)[0]).Within(1e-6));
        output.Loss.Backward();
        var grads = tokens.Grad!.ToDoubleArray();
        var expected = new[] { file.ReadAsFloat64($"grad.{loss}.chosen_logps"), file.ReadAsFloat64($"grad.{loss}.rejected_logps") };
        for (var i = 0; i < values.Length; i++)
            Assert.That(grads[i], Is.EqualTo(expected[slots[i].Half][slots[i].Index]).Within(1e-6), $"{loss}: target {i}");
    }

    /// <summary>Rows [chosen 0..2 ; rejected 0..2]: one prompt per pair, then as many targets as the fixture's mask holds.</summary>
    private static PreferenceBatch Batch(SafetensorsFile file, bool withRejected)
    {
        var masks = new[] { file.ReadAsFloat64("chosen_mask"), file.ReadAsFloat64("rejected_mask") };
        var rows = withRejected ? 2 * Pairs : Pairs;
        const int length = Prompt + Slots + 1;
        var ids = new long[rows, length];
        var attention = new long[rows, length];
        var targets = new bool[rows, length];
        for (var r = 0; r < rows; r++)
        {
            var (half, pair) = (r / Pairs, r % Pairs);
            var count = (int)Enumerable.Range(0, Slots).Sum(t => masks[half][pair * Slots + t]);
            for (var t = 0; t < Prompt + count + 1; t++)
            {
                ids[r, t] = t < Prompt ? 20 + 7 * pair + t : 60 + 11 * r + t;
                attention[r, t] = 1;
                targets[r, t] = t >= Prompt && t < Prompt + count;
            }
        }
        return new PreferenceBatch(ids, attention, targets, null, [], Enumerable.Range(0, Pairs).Select(p => $"pair-{p}").ToArray(), withRejected);
    }
}
