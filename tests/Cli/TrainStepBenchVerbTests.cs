using System.Text.Json;
using NUnit.Framework;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Tests.TestSupport;
using static StyleAlign.Tests.Cli.CliRunner;

namespace StyleAlign.Tests.Cli;

[TestFixture, Category("Unit")]
[NonParallelizable]
public class TrainStepBenchVerbTests
{
    [TestCase("simpo", false), TestCase("dpo", true)]
    public void Random_weights_from_a_config_train_and_report_the_documented_json(string method, bool full)
    {
        using var temp = new TempDirectory();
        var folder = Path.Combine(temp.Path, "tiny");
        TinyQwen.Write(folder);
        string[] args = ["bench", "train-step", "--config", Path.Combine(folder, "config.json"), "--device", "cpu", "--method", method,
            "--batch-pairs", "2", "--image-size", "56", "--caption-tokens", "5", "--steps", "2", "--json", .. full ? new[] { "--full" } : []];
        var (code, output, error) = Run(args);
        Assert.That(code, Is.Zero, error);
        var lines = output.Trim().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(1), "--json prints the report alone");
        var report = JsonDocument.Parse(lines[^1]).RootElement;
        foreach (var key in new[] { "step_ms", "tokens_per_s", "model_tflops", "mfu", "peak_bytes" })
            Assert.That(report.GetProperty(key).GetDouble(), Is.GreaterThan(0), key);
        var phases = report.GetProperty("phases");
        Assert.That(phases.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "vision", "forward", "backward", "optimizer" }));
        Assert.That(phases.EnumerateObject().All(p => p.Value.GetDouble() >= 0), Is.True);
        Assert.That(report.GetProperty("steps_ms").GetArrayLength(), Is.EqualTo(2));
        Assert.That(report.GetProperty("decoder_tokens").GetInt32(), Is.LessThan(report.GetProperty("batch_tokens").GetInt32()), "each pair's prompt runs once");
        Assert.That(report.GetProperty("trained_parameters").GetInt64(), full ? Is.GreaterThan(100_000) : Is.LessThan(100_000));
    }

    [Test]
    public void Checkpointing_and_the_unshared_layout_are_flags()
    {
        using var temp = new TempDirectory();
        var folder = Path.Combine(temp.Path, "tiny");
        TinyQwen.Write(folder);
        var (code, output, error) = Run("bench", "train-step", "--weights", folder, "--image-size", "56", "--caption-tokens", "4",
            "--checkpoint-activations", "--no-shared-prefix", "--cpu-ghz", "2", "--cpu-fma-lanes", "16");
        Assert.That(code, Is.Zero, error);
        Assert.That(output, Does.Contain("activation checkpointing on (asked for by --checkpoint-activations"));
        var report = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        Assert.That(report.GetProperty("checkpoint_activations").GetBoolean(), Is.True);
        Assert.That(report.GetProperty("decoder_tokens").GetInt32(), Is.EqualTo(report.GetProperty("batch_tokens").GetInt32()));
        Assert.That(report.GetProperty("peak_basis").GetString(), Is.EqualTo($"{Environment.ProcessorCount} cores x 16 FMA lanes x 2 x 2.000 GHz"));
    }

    [TestCase(new string[0], "exactly one of --weights DIR and --config"),
     TestCase(new[] { "--config", "c.json", "--weights", "w" }, "exactly one of --weights DIR and --config"),
     TestCase(new[] { "--config", "c.json", "--method", "ppo" }, "--method 'ppo'"),
     TestCase(new[] { "--config", "c.json", "--dtype", "f16" }, "--dtype f16"),
     TestCase(new[] { "--config", "c.json", "--device", "cuda" }, "--device cuda")]
    public void Bad_flags_are_usage_errors(string[] flags, string message)
    {
        var (code, _, error) = Run(["bench", "train-step", .. flags]);
        Assert.That(code, Is.EqualTo(2), error);
        Assert.That(AssertOneErrorLine(error)[0], Does.Contain(message));
    }
}
