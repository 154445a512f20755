using NUnit.Framework;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Lora;
using StyleAlign.Trainers.Objectives;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Tests.Training;

[Category("Unit")]
[NonParallelizable]
public class TrainableParametersTests
{
    private const string Module = "model.layers.1.mlp.down_proj";

    private static void Backward(Qwen25VLModel model, PreferenceCollator collator, IReadOnlyList<PreferenceExample> examples)
    {
        using var scope = TensorScope.Begin();
        var batch = collator.Collate(examples, includeRejected: true);
        var rows = BatchScorer.Score(model, batch, BatchScorer.EncodeImages(model, batch));
        new SimPoObjective().Compute(rows, null).Loss.Backward();
    }

    [Test]
    public void Lora_gradients_are_the_chain_rule_of_the_merged_weight_gradient()
    {
        using var temp = new TempDirectory();
        var (model, collator, examples) = TinyTraining.Setup(temp);
        using (var full = new FullParameters(model, trainVision: false, keepReference: false))
            Backward(model, collator, examples);
        var weightGrad = model.Parameters[Module + ".weight"].Grad!.ToDoubleArray();
        Assert.That(model.Parameters["visual.merger.mlp.0.weight"].Grad, Is.Null, "the vision tower stays frozen");
        foreach (var (_, p) in model.Parameters.All) p.Grad = null;

        var options = new LoraOptions { Rank = 2, Alpha = 6 };
        using var lora = new LoraAdapters(model, options);
        lora.BeginStep(0);
        Backward(model, collator, examples);
        var named = lora.Named.ToDictionary(p => p.Name, p => p.Parameter);
        var a = named[LoraAdapters.LoraAName(Module)];
        var b = named[LoraAdapters.LoraBName(Module)];
        var (outFeatures, inFeatures) = (b.Shape[0], a.Shape[1]);
        var av = a.ToDoubleArray();
        // B = 0 at the start: ∂L/∂B = (α/r)·G·Aᵀ and ∂L/∂A = 0.
        var expected = new double[outFeatures * options.Rank];
        for (var o = 0; o < outFeatures; o++)
            for (var k = 0; k < options.Rank; k++)
            {
                double sum = 0;
                for (var i = 0; i < inFeatures; i++) sum += weightGrad[o * inFeatures + i] * av[k * inFeatures + i];
                expected[o * options.Rank + k] = options.Scale * sum;
            }
        Assert.That(b.Grad!.ToDoubleArray(), Is.EqualTo(expected).Within(1e-5));
        Assert.That(a.Grad!.ToDoubleArray(), Is.All.EqualTo(0.0));
        Assert.That(model.Parameters[Module + ".weight"].Grad, Is.Null, "the slot's gradient is consumed");
    }

    [Test]
    public void Reference_view_restores_the_starting_weights_and_then_the_trained_ones()
    {
        using var temp = new TempDirectory();
        var (model, collator, examples) = TinyTraining.Setup(temp);
        var weight = model.Parameters[Module + ".weight"];
        var start = weight.ToFloatArray();
        using var full = new FullParameters(model, trainVision: false, keepReference: true);
        Backward(model, collator, examples);
        using (var optimizer = new StyleAlign.Engine.Nn.AdamW(full.Named.Select(p => p.Parameter), new StyleAlign.Engine.Nn.AdamWOptions(LearningRate: 1e-2)))
            optimizer.Step();
        var trained = weight.ToFloatArray();
        Assert.That(trained, Is.Not.EqualTo(start));
        using (full.UseReference())
            Assert.That(weight.ToFloatArray(), Is.EqualTo(start));
        Assert.That(weight.ToFloatArray(), Is.EqualTo(trained));
    }

    [Test]
    public void Lora_dropout_acts_only_while_gradients_are_recorded_and_merging_folds_the_adapters_into_the_weights()
    {
        using var temp = new TempDirectory();
        var (model, collator, examples) = TinyTraining.Setup(temp);
        var weight = model.Parameters[Module + ".weight"];
        var start = weight.ToDoubleArray();
        var options = new LoraOptions { Rank = 2, Alpha = 4, Dropout = 0.5 };
        var lora = new LoraAdapters(model, options);
        var b = lora.Named.First(p => p.Name == LoraAdapters.LoraBName(Module)).Parameter;
        var a = lora.Named.First(p => p.Name == LoraAdapters.LoraAName(Module)).Parameter;
        b.CopyFrom(Tensor.Full(b.Shape, 0.05));
        var batch = collator.Collate(examples, includeRejected: true);

        double[] Sums(bool recording)
        {
            using var scope = TensorScope.Begin();
            if (recording) return BatchScorer.Score(model, batch, BatchScorer.EncodeImages(model, batch)).Sums.ToDoubleArray();
            using var noGrad = GradMode.NoGrad();
            return BatchScorer.ScoreValues(model, batch).Sums;
        }

        // Evaluation (no grad) sees no dropout and is deterministic; training draws masks and so differs from it.
        var eval = Sums(recording: false);
        Assert.That(Sums(recording: false), Is.EqualTo(eval));
        Assert.That(Sums(recording: true), Is.Not.EqualTo(eval).Within(1e-6));
        Assert.That(weight.Grad, Is.Null, "the frozen base weight gets no gradient");

        // W ← W + (α/r)·B·A, and the merged model alone computes what the adapted one computed.
        var update = (b.MatMul(a) * options.Scale).ToDoubleArray();
        lora.MergeInto(model);
        var merged = weight.ToDoubleArray();
        for (var i = 0; i < merged.Length; i++) Assert.That(merged[i], Is.EqualTo(start[i] + update[i]).Within(1e-6));
        Assert.That(model.Decoder.Projections.Hook, Is.Null, "merged adapters are detached");
        Assert.That(Sums(recording: false), Is.EqualTo(eval).Within(1e-4));
        lora.Dispose();
        Assert.That(weight.ToDoubleArray(), Is.EqualTo(merged), "disposing merged adapters changes nothing");
    }

    [Test]
    public void Disposing_lora_adapters_detaches_them_and_leaves_the_base_weights_alone()
    {
        using var temp = new TempDirectory();
        var (model, collator, examples) = TinyTraining.Setup(temp);
        var batch = collator.Collate(examples, includeRejected: true);
        var baseSums = BatchScorer.ScoreValues(model, batch).Sums;
        var start = model.Parameters[Module + ".weight"].ToFloatArray();
        var lora = new LoraAdapters(model, new LoraOptions { Rank = 2, Alpha = 4 });
        var b = lora.Named.First(p => p.Name == LoraAdapters.LoraBName(Module)).Parameter;
        b.CopyFrom(Tensor.Full(b.Shape, 0.05));
        Assert.That(BatchScorer.ScoreValues(model, batch).Sums, Is.Not.EqualTo(baseSums).Within(1e-6), "the adapters act while attached");

        lora.Dispose();
        Assert.That(model.Decoder.Projections.Hook, Is.Null);
        Assert.That(model.Parameters[Module + ".weight"].ToFloatArray(), Is.EqualTo(start));
        Assert.That(BatchScorer.ScoreValues(model, batch).Sums, Is.EqualTo(baseSums));
        Assert.That(() => lora.MergeInto(model), Throws.InvalidOperationException, "disposed adapters have nothing left to merge");
    }
}
