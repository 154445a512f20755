using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Models;

[TestFixture, Category("Unit")]
public class ModelForwardTests
{
    private static readonly string Weights = Compare.FixturePath("qwen25vl_tiny");

    [Test]
    public void TheQwenPassReadsOnlyItsInputsAndReportsTheRest()
    {
        using var file = SafetensorsFile.Open(Compare.FixturePath("qwen25vl_tiny", "case2_image_text.safetensors"));
        var inputs = new ForwardInputs(file);
        var result = ModelForward.Run(Weights, inputs, new ForwardOptions());
        Assert.That(result.Outputs.Keys, Is.EquivalentTo(new[] { "logits" }));
        Assert.That(result.Notes, Is.Empty);
        Assert.That(inputs.Unused, Does.Contain("logits").And.Contain("labels").And.Not.Contain("input_ids").And.Not.Contain("pixel_values"));
        Compare.AllClose(result.Outputs["logits"].ToFloatArray(), file.ReadAsFloat32("logits"), 1e-4, 1e-4, "logits");
    }

    [Test]
    public void Bf16WeightsComputeWithoutANote()
    {
        using var file = SafetensorsFile.Open(Compare.FixturePath("qwen25vl_tiny", "case2_image_text.safetensors"));
        var result = ModelForward.Run(Weights, new ForwardInputs(file), new ForwardOptions(DType.BF16));
        Assert.That(result.Notes, Is.Empty, "bf16 weights are what the CPU computes with, not an emulation to warn about");
        var logits = result.Outputs["logits"].ToFloatArray();
        var f32 = file.ReadAsFloat32("logits");
        Assert.That(logits, Is.Not.EqualTo(f32), "rounded weights change the logits");
        Compare.AllClose(logits, f32, 0.05, 0.05, "bf16 logits stay near the f32 ones");
    }

    [Test]
    public void AMissingInputNamesTheFileAndTheTensor()
    {
        using var dir = new TempDirectory();
        var path = dir.File("inputs.safetensors");
        SafetensorsWriter.Write(path, [SafetensorsWriter.Int64("attention_mask", [1, 2], [1, 1])]);
        using var file = SafetensorsFile.Open(path);
        var error = Assert.Throws<InvalidInputException>(() => ModelForward.Run(Weights, new ForwardInputs(file), new ForwardOptions()))!;
        Assert.That(error.Message, Does.Contain("inputs.safetensors").And.Contain("'input_ids' is missing"));
    }
}
