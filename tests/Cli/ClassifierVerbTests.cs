using System.Text.Json;
using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Evaluation;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Cli;

[TestFixture]
[Category("Unit")]
public sealed class ClassifierVerbTests
{
    [Test]
    public void TrainThenEvalThroughTheCommandLine()
    {
        using var dir = new TempDirectory();
        var data = dir.File("data");
        SyntheticStyleDataset.Generate(data, new SyntheticOptions { TrainCount = 12, ValidationCount = 4, TestCount = 4, ImageSize = 32, Seed = 9, Styles = ["humor", "romantic"] });
        var clip = dir.File("tiny-clip");
        TinyClip.Write(clip);
        var clf = dir.File("clf");

        var (code, output, error) = CliRunner.Run(["classifier", "train", "--clip", clip, "--data", Path.Combine(data, "train.jsonl"), "--style", "humor",
            "--out", clf, "--validation", Path.Combine(data, "validation.jsonl"), "--epochs", "3", "--hidden", "16", "--seed", "4", "--cache", dir.File("cache")]);
        Assert.That(code, Is.Zero, error);
        Assert.That(output, Does.Contain("classifier: style humor").And.Contain("on 8 captions"));
        var info = StyleClassifier.Load(clf).Info;
        Assert.That(info.Style, Is.EqualTo("humor"));
        Assert.That(info.TrainingExamples, Is.EqualTo(24), "12 humor pairs, two captions each; romantic lines skipped");
        Assert.That(info.Clip, Is.EqualTo(ClipIdentity.Of(clip)));

        (code, output, error) = CliRunner.Run(["classifier", "eval", "--clip", clip, "--classifier", clf, "--data", Path.Combine(data, "test.jsonl"), "--json",
            "--records", dir.File("records.jsonl"), "--cache", "none"]);
        Assert.That(code, Is.Zero, error);
        using var summary = JsonDocument.Parse(output);
        Assert.That(summary.RootElement.GetProperty("n").GetInt32(), Is.EqualTo(4));
        Assert.That(summary.RootElement.GetProperty("classifier_ceiling").GetDouble(), Is.InRange(0.0, 100.0));
        Assert.That(summary.RootElement.GetProperty("wr_logp").ValueKind, Is.EqualTo(JsonValueKind.Null));
        Assert.That(File.ReadAllLines(dir.File("records.jsonl")), Has.Length.EqualTo(4));

        (code, output, error) = CliRunner.Run(["classifier", "train", "--clip", clip, "--data", Path.Combine(data, "train.jsonl"), "--style", "romantic",
            "--out", dir.File("clf-romantic"), "--epochs", "1", "--hidden", "8", "--layers", "3", "--cache", dir.File("cache")]);
        Assert.That(code, Is.Zero, error);
        var romantic = StyleClassifier.Load(dir.File("clf-romantic")).Info;
        Assert.That((romantic.TrainingExamples, romantic.ValidationExamples), Is.EqualTo((22, 2)), "without --validation one of 12 pairs is held out");
        Assert.That(romantic.Architecture.Layers, Is.EqualTo(3));

        (code, _, error) = CliRunner.Run(["classifier", "train", "--clip", clip, "--data", Path.Combine(data, "train.jsonl"), "--style", "sarcasm", "--out", dir.File("x"), "--cache", "none"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Failure), "the data holds no such style");
        Assert.That(error, Does.Contain("train.jsonl").And.Contain("style 'sarcasm'"));

        var otherClip = dir.File("other-clip");
        TinyClip.Write(otherClip, seed: 8);
        (code, _, error) = CliRunner.Run(["classifier", "eval", "--clip", otherClip, "--classifier", clf, "--data", Path.Combine(data, "test.jsonl"), "--cache", "none"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Failure), "a classifier that does not fit the CLIP given is bad data");
        Assert.That(error, Does.Contain("trained on CLIP"));
    }

}
