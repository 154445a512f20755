using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Models.Clip;

namespace StyleAlign.Tests.Clip;

[TestFixture]
[Category("Golden")]
public sealed class ClipGoldenTests
{
    private const double ForwardTolerance = 1e-4;

    [Test]
    public void ForwardMatchesTransformersAtEveryStage()
    {
        var model = ClipModel.Load(ClipFixture.Folder);
        var reference = ClipFixture.Read("case_forward.safetensors");
        using var scope = TensorScope.Begin();
        var trace = new ClipTrace();
        var ids = ClipFixture.ToTensor(reference["input_ids"], DType.I64);
        var mask = ClipFixture.ToTensor(reference["attention_mask"], DType.I64);
        var pixels = ClipFixture.ToTensor(reference["pixel_values"], DType.F32);

        var textEmbeds = model.EncodeTexts(ids, mask, trace);
        var imageEmbeds = model.EncodeImages(pixels, trace);
        var logitsPerImage = model.LogitsPerImage(imageEmbeds, textEmbeds);
        var loss = ClipModel.ContrastiveLoss(logitsPerImage);

        Assert.That(trace.EosPositions, Is.EqualTo(reference["eos_positions"].Values.Select(v => (int)v).ToArray()));
        for (var i = 0; i < 3; i++)
        {
            ClipFixture.AssertClose($"text_hidden_states.{i}", trace.TextHiddenStates[i], reference[$"text_hidden_states.{i}"], ForwardTolerance);
            ClipFixture.AssertClose($"vision_hidden_states.{i}", trace.VisionHiddenStates[i], reference[$"vision_hidden_states.{i}"], ForwardTolerance);
        }
        ClipFixture.AssertClose("text_last_hidden_state", trace.TextLastHiddenState!, reference["text_last_hidden_state"], ForwardTolerance);
        ClipFixture.AssertClose("text_pooled_output", trace.TextPooledOutput!, reference["text_pooled_output"], ForwardTolerance);
        ClipFixture.AssertClose("vision_last_hidden_state", trace.VisionHiddenStates[^1], reference["vision_last_hidden_state"], ForwardTolerance);
        ClipFixture.AssertClose("vision_pooled_output", trace.VisionPooledOutput!, reference["vision_pooled_output"], ForwardTolerance);
        ClipFixture.AssertClose("image_embeds_unnormalized", trace.ImageEmbedsUnnormalized!, reference["image_embeds_unnormalized"], ForwardTolerance);
        ClipFixture.AssertClose("text_embeds_unnormalized", trace.TextEmbedsUnnormalized!, reference["text_embeds_unnormalized"], ForwardTolerance);
        ClipFixture.AssertClose("image_embeds", imageEmbeds, reference["image_embeds"], ForwardTolerance);
        ClipFixture.AssertClose("text_embeds", textEmbeds, reference["text_embeds"], ForwardTolerance);
        ClipFixture.AssertClose("logit_scale_exp", model.LogitScale.Exp(), reference["logit_scale_exp"], ForwardTolerance);
        ClipFixture.AssertClose("logits_per_image", logitsPerImage, reference["logits_per_image"], ForwardTolerance);
        ClipFixture.AssertClose("logits_per_text", logitsPerImage.T.Contiguous(), reference["logits_per_text"], ForwardTolerance);
        ClipFixture.AssertClose("loss", loss, reference["loss"], ForwardTolerance);
    }

    [Test]
    public void ContrastiveLossGradientsMatchTransformers()
    {
        var model = ClipModel.Load(ClipFixture.Folder);
        var reference = ClipFixture.Read("case_forward.safetensors");
        var grads = ClipFixture.Read("case_grads.safetensors");
        foreach (var (_, p) in model.Parameters.All) p.RequiresGrad = true;
        using (var scope = TensorScope.Begin())
        {
            var textEmbeds = model.EncodeTexts(ClipFixture.ToTensor(reference["input_ids"], DType.I64), ClipFixture.ToTensor(reference["attention_mask"], DType.I64));
            var imageEmbeds = model.EncodeImages(ClipFixture.ToTensor(reference["pixel_values"], DType.F32));
            var loss = ClipModel.ContrastiveLoss(model.LogitsPerImage(imageEmbeds, textEmbeds));
            ClipFixture.AssertClose("loss", loss, grads["loss"], ForwardTolerance);
            loss.Backward();
        }

        var parameterGrads = grads.Keys.Where(k => k != "loss").ToList();
        Assert.That(parameterGrads.Order(), Is.EqualTo(model.Parameters.All.Select(p => p.Key).Order()), "every parameter has a reference gradient");
        foreach (var name in parameterGrads)
        {
            var grad = model.Parameters[name].Grad;
            Assert.That(grad, Is.Not.Null, $"{name} received no gradient");
            ClipFixture.AssertClose($"grad {name}", grad!, grads[name], atol: 1e-5, rtolOfMax: 1e-3);
        }
    }
}
