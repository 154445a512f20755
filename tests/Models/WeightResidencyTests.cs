using NUnit.Framework;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Lora;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Tests.Models;

/// <summary>
/// Where loaded weights live on the CPU: trained ones in f32 memory of their own, frozen ones in the mapped checkpoint
/// (bf16 matrices as bf16, exact for an f32 forward), or rounded to bf16 when asked.
/// </summary>
[TestFixture, Category("Unit")]
public sealed class WeightResidencyTests
{
    private static readonly string F32Checkpoint = Compare.FixturePath("qwen25vl_tiny");
    private TempDirectory _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempDirectory();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    /// <summary>The tiny fixture's weights stored as bf16 (config and processor beside them).</summary>
    private string Bf16Checkpoint()
    {
        foreach (var file in Directory.EnumerateFiles(F32Checkpoint, "*.json"))
            File.Copy(file, _folder.File(Path.GetFileName(file)));
        using var source = SafetensorsFile.Open(Path.Combine(F32Checkpoint, "model.safetensors"));
        SafetensorsWriter.Write(_folder.File("model.safetensors"), source.Entries.Values.Select(e =>
            SafetensorsWriter.BFloat16(e.Name, e.Shape, Array.ConvertAll(source.ReadAsFloat32(e.Name), BFloat16Bits.FromSingle))));
        return _folder.Path;
    }

    private static bool IsMapped(Tensor t) => t.CpuStorage().IsMapped;

    [Test]
    public void FrozenF32WeightsAreMappedAndTrainedOnesAreCopies()
    {
        var model = Qwen25VLModel.Load(F32Checkpoint, weights: new WeightOptions { Trainable = name => !name.StartsWith("visual.", StringComparison.Ordinal) });
        foreach (var (name, weight) in model.Parameters.All)
        {
            Assert.That(weight.DType, Is.EqualTo(DType.F32), name);
            Assert.That(IsMapped(weight), Is.EqualTo(name.StartsWith("visual.", StringComparison.Ordinal)), name);
        }
        model.Parameters.Dispose();
    }

    [Test]
    public void FrozenBf16MatricesStayBf16InTheMappingAndComputeExactlyAsF32()
    {
        var folder = Bf16Checkpoint();
        var held = Qwen25VLModel.Load(folder);
        var widened = Qwen25VLModel.Load(folder, weights: new WeightOptions { Trainable = static _ => true });
        foreach (var (name, weight) in held.Parameters.All)
        {
            var matrix = weight.Rank >= 2;
            Assert.That(weight.DType, Is.EqualTo(matrix ? DType.BF16 : DType.F32), name);
            Assert.That(IsMapped(weight), Is.EqualTo(matrix), name);
        }
        Assert.That(widened.Parameters.All.Select(p => p.Value.DType), Has.All.EqualTo(DType.F32));

        using var file = SafetensorsFile.Open(Compare.FixturePath("qwen25vl_tiny", "case2_image_text.safetensors"));
        var grid = file.ReadAsInt64("image_grid_thw");
        var pixels = Tensor.FromFloats(file.ReadAsFloat32("pixel_values"), new Shape((int)file.Entries["pixel_values"].Shape[0], 1176));
        var inputs = new Qwen25VLInputs(Qwen25VLGoldenTests.Matrix(file, "input_ids"), Qwen25VLGoldenTests.Matrix(file, "attention_mask"), pixels,
            [((int)grid[0], (int)grid[1], (int)grid[2])]);
        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        // bf16 → f32 is exact and the GEMM widens while packing, so holding bf16 changes no bit of an f32 forward.
        Assert.That(held.Logits(held.Forward(inputs)).ToFloatArray(), Is.EqualTo(widened.Logits(widened.Forward(inputs)).ToFloatArray()));
    }

    [Test]
    public void TheBf16OptionRoundsFrozenF32MatricesOnLoad()
    {
        var model = Qwen25VLModel.Load(F32Checkpoint, weights: new WeightOptions { Bf16 = true });
        using var source = SafetensorsFile.Open(Path.Combine(F32Checkpoint, "model.safetensors"));
        foreach (var (name, weight) in model.Parameters.All)
        {
            Assert.That(weight.DType, Is.EqualTo(weight.Rank >= 2 ? DType.BF16 : DType.F32), name);
            Assert.That(IsMapped(weight), Is.EqualTo(weight.Rank < 2), name);
        }
        var embed = model.Decoder.EmbedTokens;
        Assert.That(embed.ToFloatArray(), Is.EqualTo(source.ReadAsFloat32(embed.Name!).Select(BFloat16Bits.Round).ToArray()));
    }

    [Test]
    public void FullFineTuningRefusesWeightsHeldInBf16()
    {
        var model = Qwen25VLModel.Load(Bf16Checkpoint());
        var error = Assert.Throws<InvalidOperationException>(() => new FullParameters(model, trainVision: false, keepReference: false))!;
        Assert.That(error.Message, Does.Contain("bf16").And.Contain("WeightOptions.Trainable"));
    }

    [Test]
    public void LoraMergesIntoABf16WeightInF32AndRoundsOnce()
    {
        var model = Qwen25VLModel.Load(Bf16Checkpoint());
        var weight = model.Parameters["model.layers.0.mlp.up_proj.weight"];
        var before = weight.ToFloatArray();
        var adapters = new LoraAdapters(model, new LoraOptions { Rank = 2, TargetModules = ["up_proj"] });
        var b = adapters.Named.Single(p => p.Name == LoraAdapters.LoraBName("model.layers.0.mlp.up_proj")).Parameter;
        var a = adapters.Named.Single(p => p.Name == LoraAdapters.LoraAName("model.layers.0.mlp.up_proj")).Parameter;
        using (var ones = b.OnesLike()) b.CopyFrom(ones);
        float[] update;
        using (var product = b.MatMul(a)) update = product.ToFloatArray();
        adapters.MergeInto(model);
        adapters.Dispose();
        Assert.That(weight.DType, Is.EqualTo(DType.BF16));
        var scale = (float)adapters.Options.Scale;
        var expected = before.Select((w, i) => BFloat16Bits.Round(w + scale * update[i])).ToArray();
        Assert.That(weight.ToFloatArray(), Is.EqualTo(expected));
    }
}
