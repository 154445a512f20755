using NUnit.Framework;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Engine.IO;

namespace StyleAlign.Tests.IO;

/// <summary>Reads the tiny Qwen2.5-VL checkpoint that transformers' save_pretrained wrote.</summary>
[TestFixture]
[Category("Unit")]
public sealed class FixtureCheckpointTests
{
    private static string ModelPath => Compare.FixturePath("qwen25vl_tiny", "model.safetensors");

    [Test]
    public void TinyQwenCheckpointHasTheLegacyNamesAndShapes()
    {
        using var checkpoint = SafetensorsCheckpoint.Open(Path.GetDirectoryName(ModelPath)!);

        Assert.That(checkpoint.Entries, Has.Count.EqualTo(80));
        Assert.That(checkpoint.Metadata["format"], Is.EqualTo("pt"));
        Assert.That(checkpoint.Entries.ContainsKey("lm_head.weight"), Is.False, "tied head is not stored");
        Assert.That(checkpoint.Entries.Values.Select(e => e.DType).Distinct(), Is.EqualTo(new[] { SafetensorsDType.F32 }));

        var expectedShapes = new Dictionary<string, long[]>
        {
            ["model.embed_tokens.weight"] = [512, 64],
            ["model.layers.0.self_attn.q_proj.weight"] = [64, 64],
            ["model.layers.0.self_attn.k_proj.weight"] = [32, 64],
            ["model.layers.1.self_attn.k_proj.bias"] = [32],
            ["model.layers.1.mlp.down_proj.weight"] = [64, 128],
            ["model.norm.weight"] = [64],
            ["visual.patch_embed.proj.weight"] = [32, 3, 2, 14, 14],
            ["visual.blocks.3.attn.qkv.weight"] = [96, 32],
            ["visual.blocks.0.mlp.gate_proj.bias"] = [64],
            ["visual.merger.ln_q.weight"] = [32],
            ["visual.merger.mlp.0.weight"] = [128, 128],
            ["visual.merger.mlp.2.weight"] = [64, 128],
        };
        foreach (var (name, shape) in expectedShapes)
            Assert.That(checkpoint.Entries[name].Shape, Is.EqualTo(shape), name);

        long parameters = checkpoint.Entries.Values.Sum(e => e.ElementCount);
        Assert.That(parameters, Is.EqualTo(211_872), "total from the fixture README");
    }

    [Test]
    public void TinyQwenValuesMatchTheFixtureInitialisation()
    {
        using var file = SafetensorsFile.Open(ModelPath);

        // The README says every RMSNorm weight was drawn from U(0.5, 1.5).
        float[] norm = file.ReadAsFloat32("model.norm.weight");
        Assert.That(norm, Has.Length.EqualTo(64));
        Assert.That(norm, Has.All.InRange(0.5f, 1.5f));
        Assert.That(norm.Distinct().Count(), Is.GreaterThan(32), "values must be the stored draws, not a constant");

        double[] wide = file.ReadAsFloat64("visual.merger.ln_q.weight");
        float[] narrow = file.ReadAsFloat32("visual.merger.ln_q.weight");
        Assert.That(wide.Select(v => (float)v), Is.EqualTo(narrow));
    }

    [Test]
    public void RewritingTheFixtureReproducesTheTransformersFileByteForByte()
    {
        using var folder = new TempDirectory();
        string rewritten = folder.File("model.safetensors");
        using (var original = SafetensorsFile.Open(ModelPath))
        {
            SafetensorsWriter.Write(rewritten,
                original.Entries.Values.Select(e => (e.Name, e.DType, e.Shape, (ReadOnlyMemory<byte>)original.GetBytes(e.Name).ToArray())),
                new Dictionary<string, string>(original.Metadata));
        }
        byte[] expected = File.ReadAllBytes(ModelPath);
        byte[] actual = File.ReadAllBytes(rewritten);
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        Assert.That(actual.AsSpan().SequenceEqual(expected), Is.True, "header and data must equal the transformers-written file");
    }
}
