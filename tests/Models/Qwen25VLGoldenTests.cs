using NUnit.Framework;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Nn;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Models;

/// <summary>The tiny Qwen2.5-VL against tensors produced by transformers' own code (fixtures/README.md, part A).</summary>
[TestFixture, Category("Golden")]
public class Qwen25VLGoldenTests
{
    private const double Atol = 1e-4, Rtol = 1e-4;
    private static Qwen25VLModel? _model;

    private static Qwen25VLModel Model => _model ??= Qwen25VLModel.Load(Compare.FixturePath("qwen25vl_tiny"));

    private static SafetensorsFile Case(string name) => SafetensorsFile.Open(Compare.FixturePath("qwen25vl_tiny", name + ".safetensors"));

    internal static long[,] Matrix(SafetensorsFile f, string name)
    {
        var shape = f.Entries[name].Shape;
        var values = f.ReadAsInt64(name);
        var m = new long[shape[0], shape[1]];
        for (var i = 0; i < shape[0]; i++)
            for (var j = 0; j < shape[1]; j++) m[i, j] = values[i * shape[1] + j];
        return m;
    }

    [TestCase("case1_text_leftpad"), TestCase("case1_text_rightpad")]
    public void TextOnlyPaddedBatch(string name)
    {
        using var f = Case(name);
        var ids = Matrix(f, "input_ids");
        var mask = Matrix(f, "attention_mask");
        var inputs = new Qwen25VLInputs(ids, mask);
        var (positions, deltas) = Model.PositionIds(inputs);
        Assert.That(positions, Is.EqualTo(f.ReadAsInt64("position_ids")));
        Assert.That(deltas, Is.EqualTo(f.ReadAsInt64("rope_deltas")));

        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        var hidden = new List<Tensor>();
        var logits = Model.Logits(Model.Forward(inputs, hiddenStates: hidden));
        var (b, t) = (ids.GetLength(0), ids.GetLength(1));
        // Padded query rows are implementation-defined: compare valid positions only.
        bool Valid(int i, int width) => mask[i / width / t, i / width % t] != 0;
        for (var s = 0; s < 3; s++)
            Compare.AllClose(hidden[s].ToFloatArray(), f.ReadAsFloat32($"hidden_states.{s}"), Atol, Rtol, $"{name} hidden_states.{s}", i => Valid(i, 64));
        Compare.AllClose(logits.ToFloatArray(), f.ReadAsFloat32("logits"), Atol, Rtol, $"{name} logits", i => Valid(i, 512));
        Assert.That(b * t, Is.EqualTo(24));
    }

    [Test]
    public void ImageAndTextThroughVisionTowerAndDecoder()
    {
        using var f = Case("case2_image_text");
        var grid = f.ReadAsInt64("image_grid_thw");
        var grids = new List<(int, int, int)> { ((int)grid[0], (int)grid[1], (int)grid[2]) };
        var layout = VisionLayout.Build(grids, 2, Model.Config.Vision.WindowSize, 14);
        Assert.That(layout.WindowIndex.Select(i => (long)i), Is.EqualTo(f.ReadAsInt64("vision.window_index")));
        Assert.That(layout.CuWindowSeqlensRaw.Select(i => (long)i), Is.EqualTo(f.ReadAsInt64("vision.cu_window_seqlens_raw")));
        Assert.That(layout.CuWindowSeqlens.Select(i => (long)i), Is.EqualTo(f.ReadAsInt64("vision.cu_window_seqlens")));
        Assert.That(layout.CuSeqlens.Select(i => (long)i), Is.EqualTo(f.ReadAsInt64("vision.cu_seqlens")));
        Compare.AllClose(Model.Visual.RotaryAngles(layout), f.ReadAsFloat32("vision.rot_pos_emb"), 1e-6, 1e-6, "rot_pos_emb");

        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        var pixels = Tensor.FromFloats(f.ReadAsFloat32("pixel_values"), new Shape(48, 1176));
        var trace = new VisionTower.Trace();
        var imageEmbeds = Model.EncodeImages(pixels, grids, trace);
        Compare.AllClose(trace.PatchEmbed!.ToFloatArray(), f.ReadAsFloat32("vision.patch_embed"), Atol, Rtol, "patch_embed");
        for (var i = 0; i < 4; i++)
            Compare.AllClose(trace.BlockOutputs[i].ToFloatArray(), f.ReadAsFloat32($"vision.block{i}_window_order"), Atol, Rtol, $"vision block {i}");
        Compare.AllClose(trace.MergerWindowOrder!.ToFloatArray(), f.ReadAsFloat32("vision.merger_window_order"), Atol, Rtol, "merger");
        Compare.AllClose(imageEmbeds.ToFloatArray(), f.ReadAsFloat32("image_embeds"), Atol, Rtol, "image_embeds");

        var inputs = new Qwen25VLInputs(Matrix(f, "input_ids"), Matrix(f, "attention_mask"), pixels, grids);
        var (positions, deltas) = Model.PositionIds(inputs);
        Assert.That(positions, Is.EqualTo(f.ReadAsInt64("position_ids")));
        Assert.That(deltas, Is.EqualTo(f.ReadAsInt64("rope_deltas")));
        var hidden = new List<Tensor>();
        var logits = Model.Logits(Model.Forward(inputs, imageEmbeds, hidden));
        for (var s = 0; s < 3; s++)
            Compare.AllClose(hidden[s].ToFloatArray(), f.ReadAsFloat32($"hidden_states.{s}"), Atol, Rtol, $"hidden_states.{s}");
        Compare.AllClose(logits.ToFloatArray(), f.ReadAsFloat32("logits"), Atol, Rtol, "logits");
    }

    [Test]
    public void ResponseLogProbsAndNllGradientsOfEveryParameter()
    {
        using var f = Case("case2_image_text");
        using var lp = Case("case3_logprobs");
        using var gf = Case("case4_grads");
        var model = Qwen25VLModel.Load(Compare.FixturePath("qwen25vl_tiny"));
        foreach (var p in model.Parameters.All) p.Value.RequiresGrad = true;
        var grid = f.ReadAsInt64("image_grid_thw");
        var grids = new List<(int, int, int)> { ((int)grid[0], (int)grid[1], (int)grid[2]) };
        var ids = Matrix(f, "input_ids");
        var labels = f.ReadAsInt64("labels");
        using var scope = TensorScope.Begin();
        var pixels = Tensor.FromFloats(f.ReadAsFloat32("pixel_values"), new Shape(48, 1176));
        var hidden = model.Forward(new Qwen25VLInputs(ids, Matrix(f, "attention_mask"), pixels, grids));
        var logits = model.Logits(hidden).Reshape(30, -1).Narrow(0, 0, 29);
        // Position t predicts token t+1; labels of −100 are not targets.
        var targets = Tensor.FromArray(Enumerable.Range(0, 29).Select(t => labels[t + 1]).ToArray(), 29);
        var all = Tensor.FromArray(Enumerable.Range(0, 29).Select(t => ids[0, t + 1]).ToArray(), 29);
        Compare.AllClose(Functional.TokenLogProbs(logits, all, -100).ToFloatArray(), lp.ReadAsFloat32("token_logps"), Atol, Rtol, "token log-probs");
        var responseLogps = Functional.TokenLogProbs(logits, targets, -100);
        var sum = responseLogps.Sum();
        Assert.That(sum.Item(), Is.EqualTo(lp.ReadAsFloat32("response_logp_sum")[0]).Within(1e-4));
        var loss = -sum / 7.0;
        Assert.That(loss.Item(), Is.EqualTo(gf.ReadAsFloat32("loss")[0]).Within(1e-5));
        loss.Backward();
        var checkedCount = 0;
        foreach (var name in gf.Entries.Keys.Where(k => k != "loss"))
        {
            var grad = model.Parameters[name].Grad;
            Assert.That(grad, Is.Not.Null, $"no gradient reached {name}");
            Compare.GradientClose(grad!.ToFloatArray(), gf.ReadAsFloat32(name), 1e-5, 1e-3, $"grad {name}");
            checkedCount++;
        }
        Assert.That(checkedCount, Is.EqualTo(80));
    }
}
