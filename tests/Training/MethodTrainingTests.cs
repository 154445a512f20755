using StyleAlign.Engine.IO;
using NUnit.Framework;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.LogProbs;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Objectives;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Tests.Training;

[Category("Unit")]
[NonParallelizable]
public class MethodTrainingTests
{
    [Test]
    public void Vocabulary_mean_term_equals_the_mean_of_the_full_log_softmax()
    {
        using var temp = new TempDirectory();
        var (model, collator, examples) = TinyTraining.Setup(temp);
        using var tape = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        var batch = collator.Collate(examples, includeRejected: false);
        var rows = BatchScorer.Score(model, batch, BatchScorer.EncodeImages(model, batch), withVocabMean: true);

        var hidden = model.Forward(batch.ModelInputs(), BatchScorer.EncodeImages(model, batch));
        var selection = CompletionGather.Select(hidden, batch.InputIds, batch.TargetMask);
        var logSoftmax = model.Logits(selection.Hidden).LogSoftmax(-1);
        var expected = Segments.Sum(logSoftmax.Mean(-1), selection.SegmentIds, batch.Rows).ToDoubleArray();
        Assert.That(rows.VocabMeanSums!.ToDoubleArray(), Is.EqualTo(expected).Within(1e-3));
    }

    private static List<Dictionary<string, double>> Metrics(string runDirectory) =>
        File.ReadAllLines(Path.Combine(runDirectory, MetricsLog.FileName)).Select(l => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, double>>(l)!).ToList();

    private static List<Dictionary<string, double>> Steps(string runDirectory) => Metrics(runDirectory).Where(r => r.ContainsKey("loss")).ToList();

    private static TrainingRecipe Recipe(TempDirectory temp, TrainingMethod method, int examples, int evalPairs = 0)
    {
        var modelDir = TinyTraining.WriteModelFolder(Path.Combine(temp.Path, "model"));
        var (train, eval) = TinyTraining.WriteData(Path.Combine(temp.Path, "data"), examples, evalPairs);
        return new TrainingRecipe
        {
            Method = method,
            WeightsPath = modelDir,
            DataPath = train,
            EvalDataPath = evalPairs > 0 ? eval : null,
            Lora = new() { Rank = 4, Alpha = 8 },
            Collator = new() { MaxCaptionTokens = 12 },
            Trainer = new TrainerOptions { BatchSize = 2, LearningRate = 3e-3, WarmupRatio = 0, Decay = Engine.Nn.LearningRateDecay.Constant, Quiet = true, WritePlot = false, OutputDirectory = Path.Combine(temp.Path, "run") },
        };
    }

    [Test]
    public void Sft_raises_the_log_prob_of_the_chosen_captions_it_trains_on()
    {
        using var temp = new TempDirectory();
        var recipe = Recipe(temp, TrainingMethod.Sft, examples: 2);
        var result = (recipe with { LabelSmoothing = 0.1, Trainer = recipe.Trainer with { MaxSteps = 4 } }).Run();
        var steps = Steps(result.RunDirectory);
        Assert.That(steps, Has.Count.EqualTo(4), "one batch of both examples per step");
        Assert.That(steps[^1]["logps/chosen"], Is.GreaterThan(steps[0]["logps/chosen"] + 0.05), "the chosen captions become likelier");
        Assert.That(steps[^1]["nll_loss"], Is.LessThan(steps[0]["nll_loss"]));
        Assert.That(steps.All(r => !r.ContainsKey("logps/rejected")), "SFT never sees the rejected captions");
        // With ε = 0.1 the loss mixes in the vocabulary-mean NLL, which is far larger than the NLL of the targets once
        // training has made them likely. (At the random start the two are about equal, and which is larger depends on
        // the captions drawn, so the first step says nothing.)
        Assert.That(steps[^1]["loss"], Is.GreaterThan(steps[^1]["nll_loss"]));
    }

    [Test]
    public void Simpo_widens_the_length_normalized_margin_and_raises_wr_logp()
    {
        using var temp = new TempDirectory();
        var recipe = Recipe(temp, TrainingMethod.SimPo, examples: 4, evalPairs: 4);
        var result = (recipe with { Trainer = recipe.Trainer with { MaxSteps = 6, BatchSize = 4 } }).Run();
        var steps = Steps(result.RunDirectory);
        Assert.That(steps[^1]["rewards/margins"], Is.GreaterThan(steps[0]["rewards/margins"]));
        Assert.That(steps[^1]["loss"], Is.LessThan(steps[0]["loss"]));
        // Rewards are β·A: β = 2 by default, and γ is not part of them.
        Assert.That(steps[0]["rewards/chosen"], Is.EqualTo(2.0 * steps[0]["logps/chosen"]).Within(1e-9));
        Assert.That(result.EvalWinRateAfter!.Value, Is.GreaterThan(result.EvalWinRateBefore!.Value));
    }

    [Test]
    public void Both_cwdpo_stages_imitate_negatives_first_then_cool_them_starting_from_the_merged_stage_1_model()
    {
        using var temp = new TempDirectory();
        var recipe = Recipe(temp, TrainingMethod.CwDpo, examples: 2, evalPairs: 2) with { Stage = CoolingStage.Both, Stage1Steps = 3 };
        var result = (recipe with
        {
            Trainer = recipe.Trainer with
            {
                MaxSteps = 2,
                EvalEvery = 1,
                OnPolicy = new OnPolicyOptions { DatasetFraction = 0.3, RefreshEvery = 1, MaxNewTokens = 6 },
                EarlyStop = new EarlyStopOptions(),
            },
        }).Run();
        Assert.That(result.Steps, Is.EqualTo(5), "three stage-1 steps and two stage-2 steps");
        var run = Path.Combine(temp.Path, "run");

        // Stage 1 imitates both captions: the negatives' smoothed CE falls too, it is never pushed up.
        var stage1 = Metrics(Path.Combine(run, "stage1"));
        var stage1Steps = stage1.Where(r => r.ContainsKey("loss")).ToList();
        Assert.That(stage1Steps[^1]["ce/positive"], Is.LessThan(stage1Steps[0]["ce/positive"]));
        Assert.That(stage1Steps[^1]["ce/negative"], Is.LessThan(stage1Steps[0]["ce/negative"]));
        Assert.That(stage1Steps[0]["loss"], Is.EqualTo(stage1Steps[0]["ce/positive"] + 0.1 * stage1Steps[0]["ce/negative"]).Within(1e-9), "λ_g = 0.1");

        // Stage 2's reference is the merged stage-1 model: its baseline evaluation is stage 1's final model, and its
        // first step compares the policy with itself (zero rewards, loss ln 2).
        var stage1Final = stage1.Last(r => r.ContainsKey("probe/delta_chosen"));
        var stage1Baseline = stage1.First(r => r.ContainsKey("eval/avg_logp_chosen"));
        var stage2 = Metrics(Path.Combine(run, "stage2"));
        var stage2Baseline = stage2.First(r => r.ContainsKey("eval/avg_logp_chosen"));
        Assert.That(stage2Baseline["eval/avg_logp_chosen"], Is.EqualTo(stage1Baseline["eval/avg_logp_chosen"] + stage1Final["probe/delta_chosen"]).Within(1e-5));
        Assert.That(stage2Baseline["eval/avg_logp_chosen"], Is.Not.EqualTo(stage1Baseline["eval/avg_logp_chosen"]).Within(1e-4), "stage 1 moved the model");
        var stage2Steps = stage2.Where(r => r.ContainsKey("loss")).ToList();
        Assert.That(stage2Steps[0]["rewards/margins"], Is.EqualTo(0).Within(1e-6));
        Assert.That(stage2Steps[0]["loss"], Is.EqualTo(Math.Log(2)).Within(1e-6));

        // The cooling weight stays in [w_min, 1]; τ, the EMA it is centred on, survives in the checkpoint.
        Assert.That(stage2Steps.Select(r => r["cw/mean_w"]), Has.All.InRange(0.05, 1.0));
        var state = CheckpointStore.ReadState(Path.Combine(run, "stage2", "checkpoint-2"));
        Assert.That((double)state["objective_state"]!["tau"]!, Is.EqualTo(stage2Steps[^1]["cw/tau"]).Within(1e-12));
        Assert.That(stage2.Any(r => r.ContainsKey("probe/delta_chosen")), "the Δlog p probes are logged");

        // On-policy negatives were sampled, none equal to its chosen caption, each with its own reference sum.
        var samples = state["negatives"]!["samples"]!.AsObject();
        Assert.That(samples, Is.Not.Empty);
        var chosen = PreferenceDataset.Load(recipe.DataPath).Examples.ToDictionary(e => e.Id, e => e.Chosen);
        foreach (var (id, sample) in samples)
        {
            Assert.That((string)sample!["text"]!, Is.Not.Empty.And.Not.EqualTo(chosen[id].Trim()));
            Assert.That((double)sample["reference"]!, Is.LessThan(0), "a sum of token log-probs");
        }
        Assert.That(File.Exists(Path.Combine(run, "stage1", "adapter_model.safetensors")));
    }

    [Test]
    public void Full_fine_tuning_dpo_starts_at_ln2_and_resumes()
    {
        using var temp = new TempDirectory();
        var modelDir = TinyTraining.WriteModelFolder(Path.Combine(temp.Path, "model"));
        var (train, _) = TinyTraining.WriteData(Path.Combine(temp.Path, "data"), 2, 0);
        var recipe = new TrainingRecipe
        {
            Method = TrainingMethod.Dpo,
            WeightsPath = modelDir,
            DataPath = train,
            Full = true,
            Collator = new() { MaxCaptionTokens = 8 },
            Trainer = new TrainerOptions { MaxSteps = 2, BatchSize = 2, LearningRate = 1e-3, WarmupRatio = 0, Quiet = true, WritePlot = false, OutputDirectory = Path.Combine(temp.Path, "run"), StopAfterSteps = 1 },
        };
        Assert.That(recipe.Run().Steps, Is.EqualTo(1));
        var resumed = (recipe with { Trainer = recipe.Trainer with { StopAfterSteps = null, Resume = true } }).Run();
        Assert.That(resumed.Steps, Is.EqualTo(2));
        var steps = Steps(Path.Combine(temp.Path, "run"));
        Assert.That(steps[0]["loss"], Is.EqualTo(Math.Log(2)).Within(1e-6), "policy = reference at the start");
        Assert.That(steps[0]["rewards/margins"], Is.EqualTo(0).Within(1e-9));
        // One update later the resumed run (its reference restored from the kept starting weights) prefers the chosen captions.
        Assert.That(steps[1]["rewards/margins"], Is.GreaterThan(0));
        Assert.That(steps[1]["loss"], Is.LessThan(Math.Log(2)));
        Assert.That(steps[1]["rewards/chosen"] - steps[1]["rewards/rejected"], Is.EqualTo(steps[1]["rewards/margins"]).Within(1e-9));
        Assert.That(File.Exists(Path.Combine(temp.Path, "run", "model.safetensors")));
    }

    [Test]
    public void Sft_accumulation_matches_one_large_batch_as_a_token_mean()
    {
        using var temp = new TempDirectory();
        var modelDir = TinyTraining.WriteModelFolder(Path.Combine(temp.Path, "model"));
        var (train, _) = TinyTraining.WriteData(Path.Combine(temp.Path, "data"), 2, 0);
        TrainingRecipe Recipe(int batch, int accumulation, string name) => new()
        {
            Method = TrainingMethod.Sft,
            WeightsPath = modelDir,
            DataPath = train,
            Lora = new() { Rank = 2, Alpha = 4 },
            Collator = new() { MaxCaptionTokens = 12 },
            Trainer = new TrainerOptions { MaxSteps = 1, BatchSize = batch, GradientAccumulation = accumulation, LearningRate = 1e-2, WarmupRatio = 0, Quiet = true, WritePlot = false, OutputDirectory = Path.Combine(temp.Path, name) },
        };
        var large = Recipe(2, 1, "large").Run();
        var accumulated = Recipe(1, 2, "accumulated").Run();
        Assert.That(accumulated.FinalLoss, Is.EqualTo(large.FinalLoss).Within(1e-5), "Σ NLL / Σ tokens over the accumulated batch");
        var a = TensorFiles.ReadAll(Path.Combine(temp.Path, "large", "adapter_model.safetensors"));
        var b = TensorFiles.ReadAll(Path.Combine(temp.Path, "accumulated", "adapter_model.safetensors"));
        foreach (var (name, tensor) in a)
            Assert.That(b[name].ToFloatArray(), Is.EqualTo(tensor.ToFloatArray()).Within(1e-5), name);
    }

    [Test]
    public void Early_stop_fires_on_the_squeezing_signature_and_on_the_floor()
    {
        var rule = new EarlyStopOptions { Patience = 3, PositiveFloor = -0.05 };
        Assert.That(rule.Check([(0.1, -0.1), (0.08, -0.2), (0.06, -0.3)]), Is.Null, "two falls are not enough");
        Assert.That(rule.Check([(0.1, -0.1), (0.08, -0.2), (0.06, -0.3), (0.04, -0.4)]), Does.Contain("squeezing"));
        Assert.That(rule.Check([(0.1, -0.1), (0.08, -0.2), (0.09, -0.3), (0.04, -0.4)]), Is.Null);
        Assert.That(rule.Check([(-0.06, -0.1)]), Does.Contain("below"));
    }
}
