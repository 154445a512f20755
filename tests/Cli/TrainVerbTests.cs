using StyleAlign.Engine.IO;
using System.Text.Json;
using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Tests.Training;
using StyleAlign.Trainers.Lora;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Tests.Cli;

[Category("Unit")]
[NonParallelizable]
public class TrainVerbTests
{

    [Test]
    public void Simpo_verb_prints_the_json_summary_and_merge_folds_the_adapter_into_the_weights()
    {
        using var temp = new TempDirectory();
        var model = TinyTraining.WriteModelFolder(Path.Combine(temp.Path, "model"));
        var (train, eval) = TinyTraining.WriteData(Path.Combine(temp.Path, "data"), 4, 2);
        var run = Path.Combine(temp.Path, "run");
        var (code, output, error) = CliRunner.Run("simpo", "--weights", model, "--data", train, "--eval-data", eval, "--out", run,
            "--max-steps", "2", "--batch-size", "2", "--lr", "3e-3", "--lora-rank", "4", "--lora-alpha", "8", "--max-caption-tokens", "16", "--quiet", "--json");
        Assert.That(code, Is.EqualTo(0), error);
        var summary = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;
        Assert.That(summary.GetProperty("steps").GetInt32(), Is.EqualTo(2));
        Assert.That(summary.GetProperty("run_dir").GetString(), Is.EqualTo(Path.GetFullPath(run)));
        foreach (var key in new[] { "final_loss", "eval_wr_logp_before", "eval_wr_logp_after", "seconds" })
            Assert.That(summary.GetProperty(key).ValueKind, Is.EqualTo(JsonValueKind.Number), key);

        var adapters = TensorFiles.ReadAll(Path.Combine(run, LoraMerge.AdapterFile));
        const string module = "model.layers.0.self_attn.q_proj";
        Assert.That(adapters.Keys, Does.Contain(LoraAdapters.LoraAName(module)).And.Contain(LoraAdapters.LoraBName(module)));

        var merged = Path.Combine(temp.Path, "merged");
        (code, _, error) = CliRunner.Run("merge", "--weights", model, "--adapter", run, "--out", merged);
        Assert.That(code, Is.EqualTo(0), error);
        var baseModel = Qwen25VLModel.Load(model);
        var mergedModel = Qwen25VLModel.Load(merged);
        var a = adapters[LoraAdapters.LoraAName(module)];
        var b = adapters[LoraAdapters.LoraBName(module)];
        var expected = (baseModel.Parameters[module + ".weight"] + b.MatMul(a) * (8.0 / 4)).ToFloatArray();
        Assert.That(mergedModel.Parameters[module + ".weight"].ToFloatArray(), Is.EqualTo(expected).Within(1e-6));
        Assert.That(mergedModel.Parameters["model.norm.weight"].ToFloatArray(), Is.EqualTo(baseModel.Parameters["model.norm.weight"].ToFloatArray()));
        Assert.That(File.Exists(Path.Combine(merged, "tokenizer.json")));
    }

    [Test]
    public void Cwdpo_help_marks_its_constants_as_proposals()
    {
        var (_, output, _) = CliRunner.Run("cwdpo", "--help");
        Assert.That(output, Does.Contain("--cooling-temperature").And.Contain("PROPOSAL"));
    }
}
