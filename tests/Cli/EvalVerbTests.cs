using System.Text.Json;
using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Cli;

[TestFixture, Category("Unit")]
public class EvalVerbTests
{
    [Test]
    public void EvalVerbPrintsTheSummaryFieldsOnATinyModel()
    {
        using var temp = new TempDirectory();
        var model = temp.File("tiny");
        var data = temp.File("data");
        Assert.That(CliRunner.Run("init-tiny", model).Code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(CliRunner.Run("dataset", "synth", "--out", data, "--train", "8", "--validation", "4", "--test", "4").Code, Is.EqualTo(ExitCodes.Ok));
        var (code, output, error) = CliRunner.Run("eval", "--weights", model, "--data", Path.Combine(data, "test.jsonl"), "--style", "humor", "--json");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        Assert.That(json.RootElement.GetProperty("n").GetInt32(), Is.EqualTo(4));
        Assert.That(json.RootElement.GetProperty("wr_logp").GetDouble(), Is.InRange(0.0, 100.0));
        Assert.That(json.RootElement.GetProperty("style_acc").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(File.ReadAllLines(Path.Combine(data, "eval-records.jsonl")), Has.Length.EqualTo(4), "per-example records beside the data");
    }

    [Test]
    public void WithAClassifierEvalAlsoReportsTheContentOfTheGeneratedCaptions()
    {
        using var temp = new TempDirectory();
        string model = temp.File("tiny"), clip = temp.File("clip"), classifier = temp.File("clf"), data = temp.File("data");
        Assert.That(CliRunner.Run("init-tiny", model).Code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(CliRunner.Run("init-tiny", clip, "--model", "clip").Code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(CliRunner.Run("dataset", "synth", "--out", data, "--train", "8", "--validation", "4", "--test", "4").Code, Is.EqualTo(ExitCodes.Ok));
        var trained = CliRunner.Run("classifier", "train", "--clip", clip, "--data", Path.Combine(data, "train.jsonl"), "--style", "humor", "--out", classifier, "--epochs", "2");
        Assert.That(trained.Code, Is.EqualTo(ExitCodes.Ok), trained.Error);

        var (code, output, error) = CliRunner.Run("eval", "--weights", model, "--data", Path.Combine(data, "test.jsonl"), "--style", "humor",
            "--clip", clip, "--classifier", classifier, "--max-new-tokens", "8", "--json");

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain("content: CLIPScore"));
        using var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        var r = json.RootElement;
        Assert.That(r.GetProperty("style_acc").GetDouble(), Is.InRange(0.0, 100.0));
        foreach (var key in new[] { "clipscore", "refclipscore" })
            Assert.That(r.GetProperty(key).GetDouble(), Is.InRange(0.0, 2.5), key);
        foreach (var key in new[] { "distinct", "distinct_2", "object_accuracy" })
            Assert.That(r.GetProperty(key).GetDouble(), Is.InRange(0.0, 100.0), key);
        Assert.That(r.GetProperty("mode_collapse").GetBoolean(), Is.EqualTo(r.GetProperty("distinct").GetDouble() < 50));
    }
}
