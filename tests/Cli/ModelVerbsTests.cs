using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Cli;

[TestFixture, Category("Unit")]
public class ModelVerbsTests
{
    private TempDirectory _temp = null!;
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _temp = new TempDirectory();
        _dir = _temp.Path;
    }

    [TearDown]
    public void TearDown() => _temp.Dispose();

    [Test, Category("Golden")]
    public void ForwardReproducesTheFixtureLogitsThroughTheCli()
    {
        var fixture = Compare.FixturePath("qwen25vl_tiny", "case2_image_text.safetensors");
        var output = Path.Combine(_dir, "out.safetensors");
        var code = CliApp.Run(["forward", "--weights", Compare.FixturePath("qwen25vl_tiny"), "--inputs", fixture, "--out", output, "--hidden-states"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok));
        using var expected = SafetensorsFile.Open(fixture);
        using var actual = SafetensorsFile.Open(output);
        Compare.AllClose(actual.ReadAsFloat32("logits"), expected.ReadAsFloat32("logits"), 1e-4, 1e-4, "logits");
        Compare.AllClose(actual.ReadAsFloat32("image_embeds"), expected.ReadAsFloat32("image_embeds"), 1e-4, 1e-4, "image_embeds");
        Assert.That(actual.ReadAsInt64("position_ids"), Is.EqualTo(expected.ReadAsInt64("position_ids")));
        Assert.That(actual.GetEntry("position_ids").DType, Is.EqualTo(SafetensorsDType.I64));
        for (var i = 0; i < 3; i++)
            Compare.AllClose(actual.ReadAsFloat32($"hidden_states.{i}"), expected.ReadAsFloat32($"hidden_states.{i}"), 1e-4, 1e-4, $"hidden_states.{i}");
    }

    [Test, Category("Golden")]
    public void ForwardServesClipFoldersToo()
    {
        var fixture = Compare.FixturePath("clip_tiny", "case_forward.safetensors");
        var output = Path.Combine(_dir, "clip-out.safetensors");
        Assert.That(CliApp.Run(["forward", "--weights", Compare.FixturePath("clip_tiny"), "--inputs", fixture, "--out", output]), Is.EqualTo(ExitCodes.Ok));
        using var expected = SafetensorsFile.Open(fixture);
        using var actual = SafetensorsFile.Open(output);
        foreach (var name in new[] { "image_embeds", "text_embeds", "logits_per_image" })
            Compare.AllClose(actual.ReadAsFloat32(name), expected.ReadAsFloat32(name), 1e-4, 1e-4, name);
    }

    [Test]
    public void ForwardWarnsAboutInputsNoModelReads()
    {
        var fixture = Compare.FixturePath("qwen25vl_tiny", "case2_image_text.safetensors");
        var (code, output, error) = CliRunner.Run("forward", "--weights", Compare.FixturePath("qwen25vl_tiny"), "--inputs", fixture, "--out", Path.Combine(_dir, "out.safetensors"), "--dtype", "bf16");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        var lines = error.Replace("\r", "").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.All.StartWith("warning: "));
        Assert.That(lines, Has.None.Contains("bf16"), "bf16 weights are computed with as documented, not warned about");
        Assert.That(lines, Has.Some.EqualTo("warning: input 'labels' is not used by qwen2_5_vl and was ignored"));
        Assert.That(output, Does.StartWith("wrote logits [1,").Or.StartWith("wrote logits ["));
    }

    [Test]
    public void InitRandomWritesAShardedCheckpointThatLoads()
    {
        var config = Path.Combine(_dir, "config");
        Directory.CreateDirectory(config);
        TinyQwen.Config.Save(config);
        var folder = Path.Combine(_dir, "random");
        var (code, output, error) = CliRunner.Run("init-random", "--config", Path.Combine(config, "config.json"), "--out", folder, "--dtype", "f32", "--shard-mb", "1", "--seed", "3");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.StartWith("wrote ").And.Contain("shard(s)"));
        var model = Qwen25VLModel.Load(folder);
        var expected = ModelWriter.Requests(source => Qwen25VLModel.Create(TinyQwen.Config, source));
        Assert.That(model.Parameters.All.Select(p => p.Key), Is.EqualTo(expected.Select(r => r.Name)));
        Assert.That(CliRunner.Run("init-random", "--config", Path.Combine(config, "config.json"), "--out", folder).Code, Is.EqualTo(ExitCodes.Usage), "a non-empty folder needs --force");
    }

    [Test]
    public void InitTinyWritesACheckpointThatLoadsStrictlyAndRefusesANonEmptyFolder()
    {
        var folder = Path.Combine(_dir, "tiny");
        Assert.That(CliApp.Run(["init-tiny", folder]), Is.EqualTo(ExitCodes.Ok));
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json", "preprocessor_config.json" })
            Assert.That(File.Exists(Path.Combine(folder, file)), Is.True, file);
        var model = Qwen25VLModel.Load(folder);
        Assert.That(model.Config, Is.EqualTo(TinyQwen.Config));
        Assert.That(CliApp.Run(["init-tiny", folder]), Is.EqualTo(ExitCodes.Usage));
        Assert.That(CliApp.Run(["init-tiny", folder, "--force"]), Is.EqualTo(ExitCodes.Ok));
        Assert.That(CliApp.Run(["inspect", "--weights", folder]), Is.EqualTo(ExitCodes.Ok));
    }

    [Test]
    public void LoadingListsMissingUnexpectedAndMisshapedTensorsInOneError()
    {
        var folder = Path.Combine(_dir, "broken");
        TinyQwen.Write(folder);
        var path = Path.Combine(folder, "model.safetensors");
        using (var source = SafetensorsFile.Open(path))
        {
            var tensors = source.Entries.Values
                .Where(e => e.Name != "model.norm.weight")
                .Select(e => e.Name == "visual.merger.ln_q.weight"
                    ? SafetensorsWriter.Float32(e.Name, [7], new float[7])
                    : SafetensorsWriter.Float32(e.Name, e.Shape, source.ReadAsFloat32(e.Name)))
                .Append(SafetensorsWriter.Float32("model.extra.weight", [2], [1f, 2f]))
                .ToList();
            SafetensorsWriter.Write(path + ".new", tensors);
        }
        File.Move(path + ".new", path, overwrite: true);
        var error = Assert.Throws<CheckpointMismatchException>(() => Qwen25VLModel.Load(folder))!;
        Assert.That(error.Message, Does.Contain("missing (1): model.norm.weight"));
        Assert.That(error.Message, Does.Contain("unexpected (1): model.extra.weight"));
        Assert.That(error.Message, Does.Contain("visual.merger.ln_q.weight: checkpoint [7], model expects [32]"));
    }

    [Test]
    public void NewerTensorNamesLoadLikeTheLegacyOnes()
    {
        var folder = Path.Combine(_dir, "renamed");
        TinyQwen.Write(folder);
        var path = Path.Combine(folder, "model.safetensors");
        using (var source = SafetensorsFile.Open(path))
        {
            string Rename(string n) => n.StartsWith("visual.", StringComparison.Ordinal) ? "model." + n : n.Replace("model.", "model.language_model.", StringComparison.Ordinal);
            SafetensorsWriter.Write(path + ".new", source.Entries.Values.Select(e => SafetensorsWriter.Float32(Rename(e.Name), e.Shape, source.ReadAsFloat32(e.Name))).ToList());
        }
        var legacy = Qwen25VLModel.Load(folder);
        File.Move(path + ".new", path, overwrite: true);
        var renamed = Qwen25VLModel.Load(folder);
        Assert.That(renamed.Parameters["model.layers.1.mlp.up_proj.weight"].ToFloatArray(), Is.EqualTo(legacy.Parameters["model.layers.1.mlp.up_proj.weight"].ToFloatArray()));
        Assert.That(renamed.Parameters["visual.blocks.0.attn.qkv.bias"].ToFloatArray(), Is.EqualTo(legacy.Parameters["visual.blocks.0.attn.qkv.bias"].ToFloatArray()));
    }
}
