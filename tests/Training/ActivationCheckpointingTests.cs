using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Lora;
using StyleAlign.Trainers.Objectives;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Tests.Training;

/// <summary>Checkpointed decoder layers give the gradients of the plain pass; the default follows the memory estimate.</summary>
[Category("Unit")]
[NonParallelizable]
public class ActivationCheckpointingTests
{
    [Test]
    public void Lora_with_dropout_gets_the_same_gradients_with_and_without_checkpointing()
    {
        using var temp = new TempDirectory();
        var (model, collator, examples) = TinyTraining.Setup(temp, examples: 2, maxCaptionTokens: 10);
        using var lora = new LoraAdapters(model, new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.25 });
        // B starts at zero, which would leave A without gradient: give every adapter a non-zero update.
        var rng = new RandomGenerator(5);
        foreach (var (name, p) in lora.Named.Where(p => p.Name.Contains("lora_B", StringComparison.Ordinal)))
            p.CopyFrom(Tensor.RandN(p.Shape, rng) * 0.1);
        lora.BeginStep(3);
        AssertSameGradients(model, lora, collator.Collate(examples, includeRejected: true), new SimPoObjective());
    }

    [Test]
    public void Full_fine_tuning_gets_the_same_gradients_with_and_without_checkpointing()
    {
        using var temp = new TempDirectory();
        var (model, collator, examples) = TinyTraining.Setup(temp, examples: 2, maxCaptionTokens: 10);
        using var full = new FullParameters(model, trainVision: true, keepReference: false);
        AssertSameGradients(model, full, collator.Collate(examples, includeRejected: false), new SftObjective(labelSmoothing: 0.1));
    }

    [Test]
    public void The_default_turns_checkpointing_on_only_when_the_step_would_not_fit()
    {
        var estimate = new StepMemoryEstimate(Activations: 8L << 30, CheckpointedActivations: 1L << 30, OptimizerAndGradients: 1L << 30, Workspace: 0);
        Assert.That(TrainingMemory.Decide(null, estimate, 4L << 30).Enabled, Is.True);
        Assert.That(TrainingMemory.Decide(null, estimate, 12L << 30).Enabled, Is.False);
        Assert.That(TrainingMemory.Decide(false, estimate, 4L << 30).Enabled, Is.False, "the flag wins");
        Assert.That(TrainingMemory.Decide(true, estimate, 12L << 30).Enabled, Is.True);
        var reason = TrainingMemory.Decide(null, estimate, 4L << 30).ToString();
        Assert.That(reason, Does.StartWith("activation checkpointing on (").And.Contain("9.00 GiB").And.Contain("2.00 GiB").And.Contain("4.00 GiB available"));
        Assert.That(TrainingMemory.Decide(null, estimate, null).Enabled, Is.False);
    }

    [Test]
    public void Checkpointing_keeps_one_hidden_vector_per_layer_and_token_instead_of_the_layers_activations()
    {
        var config = Qwen25VLConfig.Load(Path.Combine(SpecialFiles.RepositoryRoot(), "docs", "configs", "qwen2.5-vl-3b-instruct.config.json"));
        var lora = new LoraOptions();
        // Qwen2.5-VL-3B: hidden 2048, kv 256, intermediate 11008, 16 heads; LoRA r 16 on all seven projections.
        Assert.That(TrainingMemory.LayerValuesPerToken(config.Text, null), Is.EqualTo(9 * 2048 + 3 * 256 + 4 * 11008 + 16));
        Assert.That(TrainingMemory.LayerValuesPerToken(config.Text, lora), Is.EqualTo(9 * 2048 + 3 * 256 + 4 * 11008 + 16 + 3 * (3 * 2048 + 2 * 256 + 2 * 11008) + 7 * 16));
        var estimate = TrainingMemory.Estimate(config, decoderTokens: 340, patches: 1024, trainableParameters: 1_000_000, lora, trainVision: false);
        Assert.That(estimate.CheckpointedActivations * 10, Is.LessThan(estimate.Activations), "a tenth of the activation memory or less");
    }

    private static void AssertSameGradients(Qwen25VLModel model, ITrainableParameters trainables, PreferenceBatch batch, IObjective objective)
    {
        Dictionary<string, float[]> Gradients(bool checkpoint)
        {
            foreach (var (_, p) in trainables.Named) p.Grad = null;
            model.Decoder.CheckpointLayers = checkpoint;
            try
            {
                using var scope = TensorScope.Begin();
                var rows = BatchScorer.Score(model, batch, BatchScorer.EncodeImages(model, batch), objective.UsesVocabMean);
                objective.Compute(rows, null).Loss.Backward();
                return trainables.Named.Where(p => p.Parameter.Grad is not null).ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToFloatArray());
            }
            finally
            {
                model.Decoder.CheckpointLayers = false;
            }
        }
        var plain = Gradients(checkpoint: false);
        var checkpointed = Gradients(checkpoint: true);
        Assert.That(checkpointed.Keys, Is.EquivalentTo(plain.Keys));
        Assert.That(plain.Values.Count(g => g.Any(v => v != 0)), Is.GreaterThan(plain.Count / 2), "most parameters get a gradient");
        foreach (var (name, expected) in plain)
            Compare.GradientClose(checkpointed[name], expected, 1e-7, 1e-5, $"gradient of {name}");
    }
}
