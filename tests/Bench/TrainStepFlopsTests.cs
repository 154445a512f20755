using NUnit.Framework;
using StyleAlign.Bench.Harness;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Nn;
using StyleAlign.Trainers.Lora;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Tests.Bench;

/// <summary>The model-FLOP count and the device peaks that `bench train-step` divides by.</summary>
[TestFixture, Category("Unit")]
public class TrainStepFlopsTests
{
    [Test]
    public void Visible_pairs_follow_the_causal_rule_over_key_prefixes()
    {
        // [prefix 3 | chosen 2] sees 1 + 2 + 3 + 4 + 5 keys; the rejected 2 see the 3 prefix keys and 1, then 2, of their own.
        var segments = new AttentionSegments([0, 5, 7], [0, 5, 7], [0, 0], [0, 3]);
        Assert.That(ModelFlops.VisiblePairs(segments, causal: true), Is.EqualTo(15 + 4 + 5));
        Assert.That(ModelFlops.VisiblePairs(segments, causal: false), Is.EqualTo(5 * 5 + 2 * 5));
    }

    [Test]
    public void Frozen_weights_the_backward_passes_through_count_four_trained_ones_six()
    {
        var model = Qwen25VLModel.Create(TinyQwen.Config, new RandomParameterSource(7));
        var segments = new AttentionSegments([0, 40], [0, 40]);
        List<(int, int, int)> grids = [(1, 8, 8)];
        const int tokens = 40, targets = 6;
        var layers = model.Parameters.All.Where(p => p.Key.StartsWith("model.layers.", StringComparison.Ordinal)).Sum(p => (double)p.Value.NumElements);
        var lmHead = (double)model.LmHead.NumElements;

        using var full = new FullParameters(model, trainVision: false, keepReference: false);
        var trainedAll = ModelFlops.Step(model, full.Named.Select(p => p.Parameter).ToList(), tokens, targets, segments, grids);
        Assert.That(trainedAll.Decoder, Is.EqualTo(6 * layers * tokens));
        Assert.That(trainedAll.LmHead, Is.EqualTo(6 * lmHead * targets), "the tied head is trained with the embedding");
        full.Dispose();

        using var lora = new LoraAdapters(model, new LoraOptions { Rank = 4 });
        var adapters = lora.Named.Select(p => p.Parameter).ToList();
        var withLora = ModelFlops.Step(model, adapters, tokens, targets, segments, grids);
        Assert.That(withLora.Decoder, Is.EqualTo(4 * layers * tokens + 6 * adapters.Sum(a => (double)a.NumElements) * tokens));
        Assert.That(withLora.LmHead, Is.EqualTo(4 * lmHead * targets));
        Assert.That(withLora.Vision, Is.EqualTo(trainedAll.Vision), "the frozen tower runs forward only either way");
        var text = TinyQwen.Config.Text;
        var vision = TinyQwen.Config.Vision;
        // 8×8 patches: the windowed block attends within four windows of 2×2 merge units (16 patches), the full block
        // within the whole image.
        var expectedAttention = 3 * 4.0 * text.NumAttentionHeads * text.HeadDim * (40 * 41 / 2) * text.NumHiddenLayers
                                + 4.0 * vision.HiddenSize * (4 * 16 * 16 + 64 * 64);
        Assert.That(withLora.Attention, Is.EqualTo(expectedAttention));
    }

    [TestCase("NVIDIA H100 80GB HBM3", 989.4), TestCase("NVIDIA H100 PCIe", 756.5), TestCase("NVIDIA H200", 989.4),
     TestCase("NVIDIA A100-SXM4-80GB", 312.0), TestCase("NVIDIA L40S", 362.05), TestCase("NVIDIA L4", 121.0)]
    public void Gpu_peaks_come_from_the_table_by_name(string name, double tflops) =>
        Assert.That(DevicePeak.Gpu(name)!.Tflops, Is.EqualTo(tflops));

    [Test]
    public void An_unlisted_gpu_has_no_peak_and_the_cpu_peak_is_the_stated_product()
    {
        Assert.That(DevicePeak.Gpu("Some Future GPU"), Is.Null);
        var cpu = DevicePeak.Cpu(gigahertz: 2.5, fmaLanes: 32, cores: 4)!;
        Assert.That(cpu.Tflops, Is.EqualTo(4 * 32 * 2 * 2.5 / 1000).Within(1e-12));
        Assert.That(cpu.Basis, Is.EqualTo("4 cores x 32 FMA lanes x 2 x 2.500 GHz"));
        Assert.That(DevicePeak.DefaultFmaLanes() % 8, Is.Zero);
    }
}
