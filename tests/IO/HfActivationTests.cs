using NUnit.Framework;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Nn;
using StyleAlign.Engine.Models;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Models.Qwen25VL;

namespace StyleAlign.Tests.IO;

/// <summary>hidden_act is honoured: the models compute the configured activation instead of a fixed one.</summary>
[TestFixture]
[Category("Unit")]
public sealed class HfActivationTests
{
    [TestCase("silu", UnaryKind.Silu)]
    [TestCase("swish", UnaryKind.Silu)]
    [TestCase("gelu", UnaryKind.GeluErf)]
    [TestCase("gelu_python", UnaryKind.GeluErf)]
    [TestCase("gelu_new", UnaryKind.GeluTanh)]
    [TestCase("gelu_pytorch_tanh", UnaryKind.GeluTanh)]
    [TestCase("gelu_fast", UnaryKind.GeluTanh)]
    [TestCase("gelu_accurate", UnaryKind.GeluTanh)]
    [TestCase("quick_gelu", UnaryKind.QuickGelu)]
    [TestCase("relu", UnaryKind.Relu)]
    [TestCase("sigmoid", UnaryKind.Sigmoid)]
    [TestCase("tanh", UnaryKind.Tanh)]
    public void TransformersNamesMapToTheEnginesFunctions(string name, UnaryKind kind) =>
        Assert.That(HfActivation.Kind(name), Is.EqualTo(kind));

    [TestCase("mish")]
    [TestCase("gelu_10")]
    [TestCase("linear")]
    [TestCase("relu6")]
    public void NamesTheEngineDoesNotComputeAreRefused(string name) =>
        Assert.That(() => HfActivation.Kind(name), Throws.ArgumentException.With.Message.Contains($"hidden_act '{name}' is not computed by this engine"));

    /// <summary>Decoder hidden states and image embeddings of the tiny Qwen with the given activations, same weights.</summary>
    private static (float[] Text, float[] Image) Qwen(string textAct, string visionAct)
    {
        var config = TinyQwen.Config with
        {
            Text = TinyQwen.Config.Text with { HiddenAct = textAct },
            Vision = TinyQwen.Config.Vision with { HiddenAct = visionAct },
        };
        var model = Qwen25VLModel.Create(config, new RandomParameterSource(3, std: 0.2));
        using var noGrad = GradMode.NoGrad();
        using var tape = TensorScope.Begin();
        var ids = new long[1, 6];
        for (int i = 0; i < 6; i++) ids[0, i] = 10 + 7 * i;
        var text = model.Forward(new Qwen25VLInputs(ids)).ToFloatArray();
        var pixels = Tensor.FromFloats(Enumerable.Range(0, 16 * 1176).Select(i => MathF.Sin(i * 0.01f)).ToArray(), new Shape(16, 1176));
        var image = model.EncodeImages(pixels, [(1, 4, 4)]).ToFloatArray();
        return (text, image);
    }

    [Test]
    public void QwenComputesTheConfiguredActivationInTheDecoderAndTheVisionTower()
    {
        var silu = Qwen("silu", "silu");
        Assert.That(Qwen("swish", "swish"), Is.EqualTo(silu), "an alias computes the same function");
        var reluText = Qwen("relu", "silu");
        Assert.That(reluText.Text, Is.Not.EqualTo(silu.Text));
        Assert.That(reluText.Image, Is.EqualTo(silu.Image), "the decoder's activation does not touch the vision tower");
        var geluVision = Qwen("silu", "gelu");
        Assert.That(geluVision.Image, Is.Not.EqualTo(silu.Image));
    }

    [Test]
    public void ClipComputesTheConfiguredActivation()
    {
        float[] Features(string act)
        {
            var config = TinyClip.Config with { Text = TinyClip.Config.Text with { HiddenAct = act } };
            var model = new ClipModel(config, new RandomParameterSource(5, std: 0.2));
            using var noGrad = GradMode.NoGrad();
            using var tape = TensorScope.Begin();
            return model.TextFeatures(Tensor.FromArray(new long[] { 510, 40, 41, 511 }, 1, 4)).ToFloatArray();
        }
        Assert.That(Features("gelu"), Is.Not.EqualTo(Features("quick_gelu")));
        Assert.That(Features("quick_gelu"), Is.EqualTo(Features("quick_gelu")));
    }
}
