using NUnit.Framework;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Models;

/// <summary>
/// The packed decoder path against transformers' tensors (fixtures/README.md, part A): one sequence packed alone,
/// two sequences of different lengths packed together (each equal to itself run alone), and a shared prefix with
/// two continuations (each equal to the unshared sequence).
/// </summary>
[TestFixture, Category("Golden")]
public class PackedDecoderGoldenTests
{
    private const double Atol = 1e-4, Rtol = 1e-4;
    private static Qwen25VLModel? _model;

    private static Qwen25VLModel Model => _model ??= Qwen25VLModel.Load(Compare.FixturePath("qwen25vl_tiny"));

    private static SafetensorsFile Case(string name) => SafetensorsFile.Open(Compare.FixturePath("qwen25vl_tiny", name + ".safetensors"));

    [Test]
    public void OneImageAndTextSequencePackedAlone()
    {
        using var f = Case("case2_image_text");
        var grid = f.ReadAsInt64("image_grid_thw");
        List<(int, int, int)> grids = [((int)grid[0], (int)grid[1], (int)grid[2])];
        var ids = f.ReadAsInt64("input_ids");
        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        var embeds = Model.EncodeImages(Tensor.FromFloats(f.ReadAsFloat32("pixel_values"), new Shape(48, 1176)), grids);
        var packed = Model.Pack([new SequenceGroup(ids, [[]])], grids);
        Assert.That(packed.Positions, Is.EqualTo(f.ReadAsInt64("position_ids")));
        var hidden = new List<Tensor>();
        var logits = Model.Logits(Model.ForwardPacked(packed, embeds, hidden));
        for (var s = 0; s < 3; s++)
            Compare.AllClose(hidden[s].ToFloatArray(), f.ReadAsFloat32($"hidden_states.{s}"), Atol, Rtol, $"hidden_states.{s}");
        Compare.AllClose(logits.ToFloatArray(), f.ReadAsFloat32("logits"), Atol, Rtol, "logits");
    }

    [TestCase("case1_text_leftpad"), TestCase("case1_text_rightpad")]
    public void TwoSequencesOfDifferentLengthsPackedTogetherEqualEachAlone(string name)
    {
        using var f = Case(name);
        var ids = Qwen25VLGoldenTests.Matrix(f, "input_ids");
        var mask = Qwen25VLGoldenTests.Matrix(f, "attention_mask");
        var (rows, length) = (ids.GetLength(0), ids.GetLength(1));
        var sequences = Enumerable.Range(0, rows)
            .Select(b => Enumerable.Range(0, length).Where(t => mask[b, t] != 0).Select(t => ids[b, t]).ToArray()).ToArray();
        Assert.That(sequences.Select(s => s.Length).Distinct().Count(), Is.EqualTo(rows), "the fixture's rows differ in length");
        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        var together = Model.Logits(Model.ForwardPacked(Model.Pack(sequences.Select(s => new SequenceGroup(s, [[]])).ToList(), []), null)).ToFloatArray();
        var expected = f.ReadAsFloat32("logits");
        var vocab = expected.Length / (rows * length);
        var offset = 0;
        for (var b = 0; b < rows; b++)
        {
            var alone = Model.Logits(Model.ForwardPacked(Model.Pack([new SequenceGroup(sequences[b], [[]])], []), null)).ToFloatArray();
            var mine = together.AsSpan(offset * vocab, alone.Length).ToArray();
            Compare.AllClose(mine, alone, 1e-5, 1e-5, $"{name} row {b} packed with the other vs alone");
            var positions = Enumerable.Range(0, length).Where(t => mask[b, t] != 0).ToArray();
            var reference = positions.SelectMany(t => expected.AsSpan((b * length + t) * vocab, vocab).ToArray()).ToArray();
            Compare.AllClose(mine, reference, Atol, Rtol, $"{name} row {b} against transformers");
            offset += sequences[b].Length;
        }
    }

    [Test]
    public void ContinuationsSharingAnImagePrefixEqualTheUnsharedSequences()
    {
        using var f = Case("case2_image_text");
        var grid = f.ReadAsInt64("image_grid_thw");
        List<(int, int, int)> grids = [((int)grid[0], (int)grid[1], (int)grid[2])];
        var ids = f.ReadAsInt64("input_ids");
        // The fixture's sequence split after its image and a few text tokens; two continuations of different lengths.
        var prefix = ids[..22];
        long[] first = [.. ids[22..]];
        long[] second = [ids[^1], ids[^3], 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51];
        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        var embeds = Model.EncodeImages(Tensor.FromFloats(f.ReadAsFloat32("pixel_values"), new Shape(48, 1176)), grids);
        var shared = Model.Pack([new SequenceGroup(prefix, [first, second])], grids);
        Assert.That(shared.TokenCount, Is.EqualTo(prefix.Length + first.Length + second.Length));
        Assert.That(shared.SharedTokenCount, Is.EqualTo(prefix.Length));
        var sharedHidden = Model.ForwardPacked(shared, embeds).ToFloatArray();
        var width = Model.Config.Text.HiddenSize;
        foreach (var (continuation, index) in new[] { (first, 0), (second, 1) })
        {
            var alone = Model.Pack([new SequenceGroup([.. prefix, .. continuation], [[]])], grids);
            Assert.That(RowsOf(shared.Positions, shared.TokenCount, shared.Sequences[index]), Is.EqualTo(RowsOf(alone.Positions, alone.TokenCount, alone.Sequences[0])), "M-RoPE ids as if alone");
            var expected = Model.ForwardPacked(alone, embeds).ToFloatArray();
            var mine = shared.Sequences[index].SelectMany(r => sharedHidden.AsSpan(r * width, width).ToArray()).ToArray();
            Compare.AllClose(mine, expected, 1e-5, 1e-5, $"continuation {index}");
        }
    }

    /// <summary>The (t, h, w) ids of the given packed rows.</summary>
    private static long[] RowsOf(long[] positions, int total, int[] rows) =>
        [.. rows.SelectMany(r => new[] { positions[r], positions[total + r], positions[2 * total + r] })];
}
