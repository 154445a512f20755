using StyleAlign.Engine.IO;
using NUnit.Framework;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.LogProbs;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Objectives;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Tests.Training;

[Category("Unit")]
[NonParallelizable]
public class MethodSmokeTests
{
    [Test]
    public void Vocabulary_mean_term_equals_the_mean_of_the_full_log_softmax()
    {
        using var temp = new TempDirectory();
        var modelDir = TinyTraining.WriteModelFolder(Path.Combine(temp.Path, "model"));
        var (train, _) = TinyTraining.WriteData(Path.Combine(temp.Path, "data"), 2, 0);
        var examples = PreferenceDataset.Load(train).Examples;
        var model = TinyTraining.Model(modelDir);
        var collator = TinyTraining.Collator(modelDir, maxCaptionTokens: 8);
        using var tape = Tape.Begin();
        using var noGrad = Tape.NoGrad();
        var batch = collator.Collate(examples, includeRejected: false);
        var rows = BatchScorer.Score(model, batch, BatchScorer.EncodeImages(model, batch), withVocabMean: true);

        var hidden = model.Forward(batch.ModelInputs(), BatchScorer.EncodeImages(model, batch));
        var selection = CompletionGather.Select(hidden, batch.InputIdsTensor(), batch.TargetMaskTensor());
        var logSoftmax = model.Logits(selection.Hidden).LogSoftmax(-1);
        var expected = Segments.Sum(logSoftmax.Mean(-1), selection.SegmentIds, batch.Rows).ToDoubleArray();
        Assert.That(rows.VocabMeanSums!.ToDoubleArray(), Is.EqualTo(expected).Within(1e-3));
    }

    [Test]
    public void Sft_and_both_cwdpo_stages_with_on_policy_negatives_run_end_to_end()
    {
        using var temp = new TempDirectory();
        var modelDir = TinyTraining.WriteModelFolder(Path.Combine(temp.Path, "model"));
        var (train, eval) = TinyTraining.WriteData(Path.Combine(temp.Path, "data"), 4, 2);
        var baseRecipe = new TrainingRecipe
        {
            Method = TrainingMethod.Sft,
            WeightsPath = modelDir,
            DataPath = train,
            EvalDataPath = eval,
            Lora = new() { Rank = 4, Alpha = 8 },
            Collator = new() { MaxCaptionTokens = 12 },
            LabelSmoothing = 0.1,
            Trainer = new TrainerOptions { MaxSteps = 1, BatchSize = 2, LearningRate = 3e-3, Quiet = true, WritePlot = false, OutputDirectory = Path.Combine(temp.Path, "sft") },
        };
        var sft = baseRecipe.Run();
        Assert.That(sft.Steps, Is.EqualTo(1));
        Assert.That(double.IsFinite(sft.FinalLoss));

        var cw = baseRecipe with
        {
            Method = TrainingMethod.CwDpo,
            Stage = CoolingStage.Both,
            Stage1Steps = 1,
            Trainer = baseRecipe.Trainer with
            {
                MaxSteps = 2,
                EvalEvery = 1,
                OutputDirectory = Path.Combine(temp.Path, "cw"),
                OnPolicy = new OnPolicyOptions { DatasetFraction = 0.3, RefreshEvery = 1, MaxNewTokens = 6 },
                EarlyStop = new EarlyStopOptions(),
            },
        };
        var result = cw.Run();
        Assert.That(result.Steps, Is.EqualTo(3), "one stage-1 step and two stage-2 steps");
        var metrics = File.ReadAllLines(Path.Combine(temp.Path, "cw", "stage2", MetricsLog.FileName));
        Assert.That(metrics, Has.Some.Contains("cw/mean_w"));
        Assert.That(metrics, Has.Some.Contains("probe/delta_chosen"));
        var state = CheckpointStore.ReadState(Path.Combine(temp.Path, "cw", "stage2", "checkpoint-2"));
        Assert.That(state["negatives"]!["samples"]!.AsObject().Count, Is.GreaterThan(0), "some negatives were sampled from the policy");
        Assert.That(File.Exists(Path.Combine(temp.Path, "cw", "stage1", "adapter_model.safetensors")));
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
        var first = File.ReadLines(Path.Combine(temp.Path, "run", MetricsLog.FileName)).First();
        Assert.That(System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, double>>(first)!["loss"], Is.EqualTo(Math.Log(2)).Within(1e-6));
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
