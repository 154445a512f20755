using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Tests.Training;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Tests.Cli;

/// <summary>Bad data found by the verbs (several by the fuzzer): one error line naming the file and what is wrong, exit code 1.</summary>
[TestFixture, Category("Unit")]
[NonParallelizable]
public sealed class VerbDataErrorTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void Create() => _temp = new TempDirectory();

    [TearDown]
    public void Delete() => _temp.Dispose();

    private static string OneLine(int code, string error, int expected = ExitCodes.Failure)
    {
        Assert.That(code, Is.EqualTo(expected), error);
        return CliRunner.AssertOneErrorLine(error)[0];
    }

    [Test]
    public void Inspect_checks_a_clip_checkpoint_against_its_config()
    {
        var folder = _temp.File("clip");
        Directory.CreateDirectory(folder);
        File.Copy(Compare.FixturePath("clip_tiny", "config.json"), Path.Combine(folder, "config.json"));
        using (var source = SafetensorsFile.Open(Compare.FixturePath("clip_tiny", "model.safetensors")))
        {
            var kept = source.Entries.Values.Where(e => e.Name != "visual_projection.weight")
                .Select(e => (e.Name, e.DType, e.Shape, (ReadOnlyMemory<byte>)source.GetBytes(e.Name).ToArray())).ToList();
            SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"), kept);
        }
        var (code, output, error) = CliRunner.Run("inspect", "--weights", folder);
        Assert.That(output, Does.Contain("missing: 1").And.Contain("visual_projection.weight"));
        Assert.That(OneLine(code, error), Does.Contain(folder).And.Contain("1 missing"));
        Assert.That(CliRunner.AssertOneErrorLine(error)[1..].Select(l => l.Trim()), Is.EqualTo(new[] { "missing (1):", "visual_projection.weight [16, 32]" }), "the error lists the tensors under it");
    }

    [TestCase("generate", "--image", "x.png")]
    [TestCase("inspect")]
    [TestCase("forward", "--inputs", "in.safetensors", "--out", "out.safetensors")]
    public void A_weights_folder_that_does_not_exist_is_named_as_missing(string verb, params string[] rest)
    {
        var missing = _temp.File("no-such-checkpoint");
        var (code, _, error) = CliRunner.Run([verb, "--weights", missing, .. rest.Select(r => r.Contains('.') ? _temp.File(r) : r)]);
        Assert.That(OneLine(code, error), Does.Contain($"{missing}: no such folder or file").And.Not.Contain("tokenizer"));
    }

    [Test]
    public void Forward_on_a_model_type_it_cannot_run_is_bad_data_naming_the_config()
    {
        var folder = _temp.File("model");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), """{"model_type": "clip_text_model"}""");
        var (code, _, error) = CliRunner.Run("forward", "--weights", folder, "--inputs", _temp.File("in.safetensors"), "--out", _temp.File("out.safetensors"));
        Assert.That(OneLine(code, error), Does.Contain(Path.Combine(folder, "config.json")).And.Contain("'clip_text_model'"));
    }

    [Test]
    public void Merge_names_the_adapter_config_and_its_bad_key()
    {
        var model = TinyTraining.WriteModelFolder(_temp.File("model"));
        var adapter = _temp.File("adapter");
        Directory.CreateDirectory(adapter);
        File.WriteAllText(Path.Combine(adapter, "adapter_model.safetensors"), "");
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"), """{"r": "eight", "lora_alpha": -1, "target_modules": ["q_proj", "fc9"]}""");
        var (code, _, error) = CliRunner.Run("merge", "--weights", model, "--adapter", adapter, "--out", _temp.File("merged"));
        Assert.That(code, Is.EqualTo(ExitCodes.Failure), error);
        Assert.That(error, Does.Contain(Path.Combine(adapter, "adapter_config.json")).And.Contain("'r'").And.Contain("'lora_alpha'").And.Contain("'fc9'"));
        CliRunner.AssertOneErrorLine(error);
    }

    [Test]
    public void A_classifier_that_cannot_be_split_is_bad_data()
    {
        var data = _temp.File("data");
        SyntheticStyleDataset.Generate(data, new SyntheticOptions { TrainCount = 1, ValidationCount = 0, TestCount = 0, ImageSize = 32, Styles = [SyntheticCaptions.Humor] });
        var clip = _temp.File("clip");
        TinyClip.Write(clip);
        var (code, _, error) = CliRunner.Run("classifier", "train", "--clip", clip, "--data", Path.Combine(data, "train.jsonl"), "--style", "humor", "--out", _temp.File("clf"), "--cache", "none");
        Assert.That(OneLine(code, error), Does.Contain("train.jsonl").And.Contain("--validation"));
    }

    [Test]
    public void Eval_refuses_an_image_outside_the_data_folder_unless_allow_outside_paths()
    {
        var model = TinyTraining.WriteModelFolder(_temp.File("model"));
        var (_, eval) = TinyTraining.WriteData(_temp.File("data"), 2, 2);
        var lines = File.ReadAllLines(eval);
        lines[1] = lines[1].Replace("\"images/", $"\"{_temp.Path}/data/images/", StringComparison.Ordinal);
        File.WriteAllLines(eval, lines);

        var (code, _, error) = CliRunner.Run("eval", "--weights", model, "--data", eval, "--records", _temp.File("records.jsonl"));
        Assert.That(OneLine(code, error), Does.Contain($"{eval}:2: image").And.Contain("--allow-outside-paths"));

        (code, _, error) = CliRunner.Run("eval", "--weights", model, "--data", eval, "--records", _temp.File("records.jsonl"), "--allow-outside-paths");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
    }
}
