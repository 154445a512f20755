using System.Text.Json;
using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Cli;

[TestFixture, Category("Unit")]
public class DemoVerbTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    [Test]
    public void ReducedDemoRunsEndToEndAndRaisesWinRate()
    {
        var (code, output, error) = CliRunner.Run("demo", "--out", _temp.File("run"), "--steps", "30", "--warmup-steps", "60", "--images", "32", "--quiet", "--json");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), output + error);
        var last = output.Trim().Split('\n')[^1];
        using var json = JsonDocument.Parse(last);
        var r = json.RootElement;
        foreach (var key in new[] { "wr_logp_before", "wr_logp_after", "style_acc_before", "style_acc_after", "object_accuracy_before", "object_accuracy_after",
                     "distinct_before", "distinct_after", "classifier_ceiling" })
            Assert.That(r.GetProperty(key).GetDouble(), Is.InRange(0.0, 100.0), key);
        foreach (var key in new[] { "clipscore_before", "clipscore_after" })
            Assert.That(r.GetProperty(key).GetDouble(), Is.InRange(0.0, 2.5), key);
        Assert.That(r.GetProperty("wr_logp_after").GetDouble(), Is.GreaterThan(r.GetProperty("wr_logp_before").GetDouble() + 20));
        Assert.That(r.GetProperty("seconds").GetDouble(), Is.GreaterThan(0));
        var runDir = r.GetProperty("run_dir").GetString()!;
        foreach (var file in new[] { "report.md", "eval-after.jsonl", "simpo/metrics.jsonl", "simpo/metrics.png", "aligned-model/model.safetensors", "aligned-model/config.json" })
            Assert.That(File.Exists(Path.Combine(runDir, file)), Is.True, file);
    }

    [TestCase("--style", "gothic", "--style gothic is not one of: humor, romantic")]
    [TestCase("--method", "ppo", "--method ppo is not one of: sft, dpo, simpo, cwdpo")]
    public void ArgumentErrorsAreOneLine(string flag, string value, string message)
    {
        var (code, _, error) = CliRunner.Run("demo", "--out", _temp.File("x"), flag, value);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error.Trim(), Is.EqualTo($"error: {message} (see 'engine-cli demo --help')"));
    }
}
