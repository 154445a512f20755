using NUnit.Framework;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Models;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Tests.Autograd;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Clip;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Tests.Clip;

[TestFixture]
[NonParallelizable]
public sealed class ClipContrastiveTrainingTests
{
    [Test, Category("Golden")]
    public void TheTrainingLossAndItsGradientsMatchTransformersCLIPModel()
    {
        var model = ClipModel.Load(ClipFixture.Folder);
        var reference = ClipFixture.Read("case_forward.safetensors");
        var grads = ClipFixture.Read("case_grads.safetensors");
        foreach (var (_, p) in model.Parameters.All) p.RequiresGrad = true;
        using (var tape = TensorScope.Begin())
        {
            var (loss, logits) = ClipContrastiveTrainer.BatchLoss(model, ClipFixture.ToTensor(reference["pixel_values"], DType.F32),
                ClipFixture.ToTensor(reference["input_ids"], DType.I64), ClipFixture.ToTensor(reference["attention_mask"], DType.I64));
            ClipFixture.AssertClose("logits_per_image", logits, reference["logits_per_image"], 1e-4);
            ClipFixture.AssertClose("loss", loss, reference["loss"], 1e-4);
            loss.Backward();
        }
        foreach (var name in new[] { "logit_scale", "text_projection.weight", "visual_projection.weight", "vision_model.embeddings.patch_embedding.weight", "text_model.embeddings.token_embedding.weight" })
            ClipFixture.AssertClose($"grad {name}", model.Parameters[name].Grad!, grads[name], atol: 1e-5, rtolOfMax: 1e-3);
    }

    [Test, Category("GradCheck")]
    public void TheSymmetricInfoNceOverNormalizedFeaturesPassesAFloat64GradientCheck()
    {
        var rng = new RandomGenerator(41);
        Tensor[] leaves = [GradCheck.Random(rng, 3, 4), GradCheck.Random(rng, 3, 4), Tensor.Scalar(0.7, DType.F64)];
        GradCheck.Check(x => ClipModel.ContrastiveLoss(ClipModel.L2Normalize(x[0]).MatMul(ClipModel.L2Normalize(x[1]).T) * x[2].Exp()), leaves);
    }

    [Test, Category("Unit")]
    public void ALastBatchOfOneImageJoinsThePreviousBatch()
    {
        Assert.That(ClipContrastiveTrainer.Batches(9, 4), Is.EqualTo(new[] { (0, 4), (4, 5) }));
        Assert.That(ClipContrastiveTrainer.Batches(10, 4), Is.EqualTo(new[] { (0, 4), (4, 4), (8, 2) }));
        Assert.That(ClipContrastiveTrainer.Batches(2, 8), Is.EqualTo(new[] { (0, 2) }));
    }

    [Test, Category("Unit")]
    public void TrainingTheBuiltInTinyClipLowersItsContrastiveLossOnItsImages()
    {
        using var temp = new TempDirectory();
        TinyClip.Write(temp.File("clip"));
        SyntheticStyleDataset.Generate(temp.File("data"), new SyntheticOptions { TrainCount = 16, ValidationCount = 0, TestCount = 0, ImageSize = 32 });
        var (train, _) = ClipTrainingSet.Load(temp.File("data"), null, ClipCaptionSelection.Factual);
        var clip = ClipPipeline.Load(temp.File("clip"));
        var before = ClipContrastiveTrainer.Evaluate(clip, train, 16);

        var report = ClipContrastiveTrainer.Train(clip, train, null, new ClipTrainingOptions { Epochs = 30, BatchSize = 16, LearningRate = 3e-3, Captions = ClipCaptionSelection.Factual });

        var after = ClipContrastiveTrainer.Evaluate(clip, train, 16);
        Assert.That(report.Steps, Is.EqualTo(30));
        // Uniform logits give ln 16; a model that only collapsed its embeddings would stop there.
        Assert.That(after.Loss, Is.LessThan(Math.Min(before.Loss, Math.Log(16)) - 0.25), $"loss {before.Loss:F3} -> {after.Loss:F3}");
    }

    [Test, Category("Unit")]
    public void ClampsTheTemperatureAtLn100KeepsAFrozenVisionTowerAndWritesALoadableCheckpoint()
    {
        using var temp = new TempDirectory();
        var source = temp.File("clip");
        TinyClip.Write(source);
        var hot = ClipModel.Load(source);
        using (GradMode.NoGrad())
        using (var five = Tensor.Scalar(5.0))
            hot.LogitScale.Backend.CopyInto(hot.LogitScale, five);
        ModelWriter.WriteParameters(Path.Combine(source, "model.safetensors"), hot.Parameters);
        SyntheticStyleDataset.Generate(temp.File("data"), new SyntheticOptions { TrainCount = 4, ValidationCount = 2, TestCount = 0, ImageSize = 32 });
        var (train, validation) = ClipTrainingSet.Load(temp.File("data"), null, ClipCaptionSelection.All);
        Assert.That(train.Select(i => i.Captions.Count), Has.All.EqualTo(3), "factual, humorous and romantic caption of each image");
        var clip = ClipPipeline.Load(source);
        var visionBefore = clip.Model.Parameters.All.Where(p => p.Key.StartsWith("vision_model.", StringComparison.Ordinal)).ToDictionary(p => p.Key, p => p.Value.ToFloatArray());
        var textBefore = clip.Model.Parameters["text_projection.weight"].ToFloatArray();
        var options = new ClipTrainingOptions { Epochs = 1, BatchSize = 4, LearningRate = 1e-3, FreezeVision = true };

        var report = ClipContrastiveTrainer.Train(clip, train, validation, options);
        ClipCheckpoint.Write(source, clip.Model, temp.File("out"), options, report);

        Assert.That(report.Epochs.Single().LogitScale, Is.EqualTo(Math.Log(100)).Within(1e-6));
        Assert.That(report.Epochs.Single().ValidationRetrieval, Is.Not.Null);
        foreach (var (name, values) in visionBefore) Assert.That(clip.Model.Parameters[name].ToFloatArray(), Is.EqualTo(values), name);
        Assert.That(clip.Model.Parameters["text_projection.weight"].ToFloatArray().SequenceEqual(textBefore), Is.False, "the text side trained");
        var reloaded = ClipPipeline.Load(temp.File("out"));
        Assert.That(reloaded.Model.LogitScale.Item(), Is.EqualTo(Math.Log(100)).Within(1e-6));
        Assert.That(reloaded.Model.Parameters["text_projection.weight"].ToFloatArray(), Is.EqualTo(clip.Model.Parameters["text_projection.weight"].ToFloatArray()));
        foreach (var file in Directory.GetFiles(source).Select(Path.GetFileName))
            Assert.That(File.Exists(Path.Combine(temp.File("out"), file!)), file);
        Assert.That(File.ReadAllText(Path.Combine(temp.File("out"), ClipCheckpoint.TrainingRecordFileName)), Does.Contain("\"freeze_vision\": true"));
    }
}
