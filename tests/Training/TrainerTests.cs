using StyleAlign.Engine.IO;
using NUnit.Framework;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Lora;
using StyleAlign.Trainers.Objectives;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Tests.Training;

[Category("Unit")]
[NonParallelizable]
public class TrainerTests
{
    private TempDirectory _temp = null!;
    private string _model = null!;
    private IReadOnlyList<PreferenceExample> _train = null!;
    private IReadOnlyList<PreferenceExample> _eval = null!;

    [OneTimeSetUp]
    public void WriteTinyRun()
    {
        _temp = new TempDirectory();
        (_model, _train, _eval) = TinyTraining.WriteRun(_temp.Path, 16, 8);
    }

    [OneTimeTearDown]
    public void Clean() => _temp.Dispose();

    private TrainingResult Run(IObjective objective, string name, TrainerOptions options, IReadOnlyList<PreferenceExample>? eval = null, int trainCount = 4)
    {
        var model = TinyTraining.Model(_model);
        using var lora = new LoraAdapters(model, TinyLora);
        var trainer = new Trainer(model, lora, objective, TinyTraining.Collator(_model, maxCaptionTokens: 24), options with { OutputDirectory = Path.Combine(_temp.Path, name), WritePlot = eval is not null });
        return trainer.Train(_train.Take(trainCount).ToList(), eval);
    }

    private static readonly LoraOptions TinyLora = new() { Rank = 8, Alpha = 16 };

    private static TrainerOptions Tiny(int steps, int batch = 2) => new() { MaxSteps = steps, BatchSize = batch, LearningRate = 3e-3, WarmupRatio = 0, Quiet = true };

    private static List<Dictionary<string, double>> Metrics(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, MetricsLog.FileName)).Select(l => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, double>>(l)!).ToList();

    [Test]
    public void Dpo_starts_at_ln2_with_zero_rewards_when_policy_equals_reference()
    {
        var result = Run(new DpoObjective(beta: 0.1), "dpo-ln2", Tiny(1));
        var first = Metrics(result.RunDirectory).First(r => r.ContainsKey("loss"));
        Assert.That(first["loss"], Is.EqualTo(Math.Log(2)).Within(1e-6));
        Assert.That(first["rewards/margins"], Is.EqualTo(0).Within(1e-6));
        Assert.That(first["rewards/accuracies"], Is.EqualTo(0), "strict >: ties are not wins");
        Assert.That(File.Exists(Path.Combine(result.RunDirectory, ReferenceCache.FileName)));
    }

    [Test]
    public void Simpo_raises_wr_logp_on_held_out_pairs()
    {
        var result = Run(new SimPoObjective(beta: 2.0, gammaBetaRatio: 0.5), "simpo", Tiny(8, batch: 4) with { EvalEvery = 4 }, _eval, trainCount: 16);
        TestContext.Out.WriteLine($"WR-LogP {result.EvalWinRateBefore:F1} % → {result.EvalWinRateAfter:F1} % in {result.Seconds:F1} s ({result.Seconds / result.Steps:F2} s/step), final loss {result.FinalLoss:F4}");
        Assert.That(result.EvalWinRateAfter, Is.GreaterThan(result.EvalWinRateBefore!.Value + 20));
        Assert.That(File.Exists(Path.Combine(result.RunDirectory, "adapter_model.safetensors")));
        Assert.That(File.Exists(Path.Combine(result.RunDirectory, "adapter_config.json")));
        Assert.That(File.Exists(Path.Combine(result.RunDirectory, MetricsLog.PlotFileName)));
    }

    [TestCase("simpo")]
    [TestCase("dpo")]
    public void A_resumed_run_equals_an_uninterrupted_one_bit_for_bit(string method)
    {
        IObjective Objective() => method == "dpo" ? new DpoObjective() : new SimPoObjective();
        var options = Tiny(4) with { SaveEvery = 2, GradientAccumulation = 2, BatchSize = 1 };
        var whole = Run(Objective(), "whole-" + method, options);
        var first = Run(Objective(), "split-" + method, options with { StopAfterSteps = 2 });
        Assert.That(first.Steps, Is.EqualTo(2));
        Assert.That(File.Exists(Path.Combine(first.RunDirectory, "adapter_model.safetensors")), Is.False, "an interrupted run writes no final adapter");
        var resumed = Run(Objective(), "split-" + method, options with { Resume = true });
        Assert.That(resumed.Steps, Is.EqualTo(4));
        var expected = TensorFiles.ReadAll(Path.Combine(whole.RunDirectory, "adapter_model.safetensors"));
        var actual = TensorFiles.ReadAll(Path.Combine(resumed.RunDirectory, "adapter_model.safetensors"));
        Assert.That(actual.Keys, Is.EquivalentTo(expected.Keys));
        foreach (var (name, tensor) in expected)
            Assert.That(actual[name].ToFloatArray(), Is.EqualTo(tensor.ToFloatArray()), $"{name} differs after resume");
        Assert.That(resumed.FinalLoss, Is.EqualTo(whole.FinalLoss));
        var lossesWhole = Metrics(whole.RunDirectory).Where(r => r.ContainsKey("loss")).Select(r => r["loss"]);
        var lossesResumed = Metrics(resumed.RunDirectory).Where(r => r.ContainsKey("loss")).Select(r => r["loss"]);
        Assert.That(lossesResumed, Is.EqualTo(lossesWhole), "the metrics log continues without duplicates");
    }

    [Test]
    public void A_crash_while_writing_a_checkpoint_leaves_the_previous_one_intact()
    {
        var options = Tiny(2, batch: 1) with { SaveEvery = 1 };
        var crashAt = "";
        CheckpointStore.AfterTemporaryWrite = folder =>
        {
            if (folder.Contains(".checkpoint-2.tmp")) { crashAt = folder; throw new IOException("simulated crash after the temporary write"); }
        };
        try
        {
            Assert.Throws<IOException>(() => Run(new SimPoObjective(), "crash", options));
        }
        finally
        {
            CheckpointStore.AfterTemporaryWrite = null;
        }
        var dir = Path.Combine(_temp.Path, "crash");
        Assert.That(crashAt, Is.Not.Empty);
        Assert.That(CheckpointStore.Latest(dir), Is.EqualTo(Path.Combine(dir, "checkpoint-1")));
        Assert.That(Directory.Exists(Path.Combine(dir, "checkpoint-2")), Is.False);
        Assert.That(Directory.EnumerateDirectories(dir, ".*"), Is.Empty, "the temporary folder is cleaned up");
        var state = CheckpointStore.ReadState(Path.Combine(dir, "checkpoint-1"));
        Assert.That((int)state["step"]!, Is.EqualTo(1));
        Assert.That(File.Exists(Path.Combine(dir, "checkpoint-1", "adapter_model.safetensors")));
        var resumed = Run(new SimPoObjective(), "crash", options with { Resume = true });
        Assert.That(resumed.Steps, Is.EqualTo(2));
    }

    [Test]
    public void A_non_finite_loss_stops_the_run_naming_the_step_and_examples()
    {
        var error = Assert.Throws<TrainingDivergedException>(() => Run(new PoisonedObjective(poisonAtCall: 2), "nan", Tiny(3)));
        Assert.That(error!.Step, Is.EqualTo(2));
        Assert.That(error.ExampleIds, Has.Count.EqualTo(2));
        Assert.That(error.Message, Does.Contain("step 2").And.Contain(error.ExampleIds[0]));
    }

    [Test]
    public void The_loop_reports_progress_to_the_objective_before_each_step()
    {
        var objective = new ProgressRecordingObjective();
        Run(objective, "progress", Tiny(4));
        Assert.That(objective.Fractions, Is.EqualTo(new[] { 0.0, 0.25, 0.5, 0.75 }));
    }

    /// <summary>SimPO that records the progress fractions the loop reports.</summary>
    private sealed class ProgressRecordingObjective : IObjective
    {
        private readonly SimPoObjective _inner = new();
        public List<double> Fractions { get; } = [];
        public string Name => "progress";
        public bool UsesRejected => true;
        public bool UsesReference => false;
        public bool UsesVocabMean => false;
        public double MicroBatchWeight(MicroBatchSize size) => _inner.MicroBatchWeight(size);
        public void SetProgress(double fraction) => Fractions.Add(fraction);
        public ObjectiveOutput Compute(RowLogProbs policy, double[]? referenceSums) => _inner.Compute(policy, referenceSums);
    }

    /// <summary>SimPO whose n-th evaluation reports a NaN loss.</summary>
    private sealed class PoisonedObjective(int poisonAtCall) : IObjective
    {
        private readonly SimPoObjective _inner = new();
        private int _calls;
        public string Name => "poisoned";
        public bool UsesRejected => true;
        public bool UsesReference => false;
        public bool UsesVocabMean => false;
        public double MicroBatchWeight(MicroBatchSize size) => _inner.MicroBatchWeight(size);

        public ObjectiveOutput Compute(RowLogProbs policy, double[]? referenceSums)
        {
            var output = _inner.Compute(policy, referenceSums);
            if (++_calls < poisonAtCall) return output;
            return new ObjectiveOutput(output.Loss * double.NaN, new Dictionary<string, double>(output.Metrics) { ["loss"] = double.NaN });
        }
    }
}
