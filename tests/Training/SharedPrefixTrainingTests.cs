using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Objectives;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Tests.Training;

/// <summary>
/// Each pair's prompt (image included) run once, chosen and rejected attending to it, against every row run alone: the
/// losses, the metrics and the gradient of every parameter (vision tower included) agree within fp32 tolerance for every
/// objective, and so do the reference and evaluation scores.
/// </summary>
[Category("Unit")]
[NonParallelizable]
public class SharedPrefixTrainingTests
{
    private static IEnumerable<TestCaseData> Objectives()
    {
        yield return new TestCaseData("sft", (Func<IObjective>)(() => new SftObjective(labelSmoothing: 0.1))).SetName("Sft_with_label_smoothing");
        yield return new TestCaseData("dpo", (Func<IObjective>)(() => new DpoObjective(beta: 0.1, labelSmoothing: 0.1))).SetName("Dpo");
        yield return new TestCaseData("simpo", (Func<IObjective>)(() => new SimPoObjective(beta: 2.0, labelSmoothing: 0.1, sftWeight: 0.5))).SetName("SimPo");
        yield return new TestCaseData("cwdpo-1", (Func<IObjective>)(() => new GentleNegativeSftObjective())).SetName("CwDpo_stage1");
        yield return new TestCaseData("cwdpo-2", (Func<IObjective>)(() => new CoolingDpoObjective(new CoolingOptions()))).SetName("CwDpo_stage2");
    }

    [TestCaseSource(nameof(Objectives))]
    public void Losses_and_every_gradient_equal_the_unshared_batch(string name, Func<IObjective> makeObjective)
    {
        using var temp = new TempDirectory();
        var (model, collator, examples) = TinyTraining.Setup(temp, examples: 3, maxCaptionTokens: 12);
        using var trainables = new FullParameters(model, trainVision: true, keepReference: false);
        var batch = collator.Collate(examples, makeObjective().UsesRejected);
        var references = makeObjective().UsesReference ? References(model, batch) : null;

        var shared = Step(model, trainables, batch, makeObjective(), references);
        var unshared = Step(model, trainables, batch with { SharePrefix = false }, makeObjective(), references);

        Assert.That(shared.Metrics.Keys, Is.EquivalentTo(unshared.Metrics.Keys));
        foreach (var (key, value) in unshared.Metrics)
            Assert.That(shared.Metrics[key], Is.EqualTo(value).Within(1e-6 + 1e-5 * Math.Abs(value)), $"{name}: {key}");
        Assert.That(shared.Gradients.Keys, Is.EquivalentTo(unshared.Gradients.Keys));
        Assert.That(shared.Gradients.Keys.Count(k => k.StartsWith("visual.", StringComparison.Ordinal)), Is.GreaterThan(0), "the vision tower's gradients are compared too");
        foreach (var (parameter, expected) in unshared.Gradients)
            Compare.GradientClose(shared.Gradients[parameter], expected, 1e-7, 1e-4, $"{name}: gradient of {parameter}");
    }

    [Test]
    public void The_shared_layout_runs_each_prompt_once_and_scores_like_the_unshared_one()
    {
        using var temp = new TempDirectory();
        var (model, collator, examples) = TinyTraining.Setup(temp, examples: 3, maxCaptionTokens: 12);
        var batch = collator.Collate(examples, includeRejected: true);
        var shared = batch.Pack(model);
        var unshared = (batch with { SharePrefix = false }).Pack(model);
        var prompts = Enumerable.Range(0, batch.Pairs).Sum(p => Enumerable.Range(0, batch.Length).First(t => batch.TargetMask[p, t]));
        Assert.That(unshared.Sequences.TokenCount, Is.EqualTo(batch.TokenCount), "unshared rows run every real token");
        Assert.That(shared.Sequences.TokenCount, Is.EqualTo(batch.TokenCount - prompts), "the shared layout runs each prompt once");
        Assert.That(shared.Sequences.SharedTokenCount, Is.EqualTo(prompts));
        Assert.That(shared.RepeatsImages, Is.False);
        Assert.That(unshared.RepeatsImages, Is.True);
        Assert.That(shared.TargetSegments, Is.EqualTo(unshared.TargetSegments), "targets in the same row order");
        Assert.That(shared.Targets, Is.EqualTo(unshared.Targets));
        // The last prompt token of a pair predicts the first target of both captions.
        for (var p = 0; p < batch.Pairs; p++)
        {
            var firstChosen = shared.TargetRows[Array.IndexOf(shared.TargetSegments, (long)p)];
            var firstRejected = shared.TargetRows[Array.IndexOf(shared.TargetSegments, (long)(batch.Pairs + p))];
            Assert.That(firstRejected, Is.EqualTo(firstChosen), $"pair {p}");
        }

        var (sharedSums, sharedLengths) = BatchScorer.ScoreValues(model, batch);
        var (unsharedSums, unsharedLengths) = BatchScorer.ScoreValues(model, batch with { SharePrefix = false });
        Assert.That(sharedLengths, Is.EqualTo(unsharedLengths));
        Assert.That(sharedSums, Is.EqualTo(unsharedSums).Within(1e-5), "reference and evaluation scores");
    }

    private sealed record StepResult(Dictionary<string, double> Metrics, Dictionary<string, float[]> Gradients);

    private static StepResult Step(Qwen25VLModel model, ITrainableParameters trainables, PreferenceBatch batch, IObjective objective, double[]? references)
    {
        foreach (var (_, p) in trainables.Named)
        {
            p.Grad?.Dispose();
            p.Grad = null;
        }
        using var scope = TensorScope.Begin();
        var rows = BatchScorer.Score(model, batch, BatchScorer.EncodeImages(model, batch), objective.UsesVocabMean);
        var output = objective.Compute(rows, references);
        output.Loss.Backward();
        var gradients = trainables.Named.Where(p => p.Parameter.Grad is not null).ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToFloatArray());
        return new StepResult(new Dictionary<string, double>(output.Metrics), gradients);
    }

    /// <summary>Reference sums a little away from the policy's, so the DPO margins are not all zero.</summary>
    private static double[] References(Qwen25VLModel model, PreferenceBatch batch)
    {
        var (sums, _) = BatchScorer.ScoreValues(model, batch with { SharePrefix = false });
        return sums.Select((s, i) => s + 0.4 * (i % 3) - 0.5).ToArray();
    }
}
