using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Tests.Import;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Tests.Cli;

[TestFixture, Category("Unit")]
[NonParallelizable]
public class ClipVerbTests
{
    [Test]
    public void TrainsAndWritesACheckpointThatTheClassifierLoads()
    {
        using var temp = new TempDirectory();
        TinyClip.Write(temp.File("clip"));
        SyntheticStyleDataset.Generate(temp.File("data"), new SyntheticOptions { TrainCount = 6, ValidationCount = 3, TestCount = 0, ImageSize = 32 });

        var (code, output, error) = CliRunner.Run(["clip", "train", "--clip", temp.File("clip"), "--data", temp.File("data"), "--out", temp.File("out"), "--epochs", "2", "--batch-size", "4"]);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain("clip train: 6 images, 18 captions; validation 3 images; 2 epochs, batch 4").And.Contain("epoch 2/2: loss"));
        Assert.That(output, Does.Contain("clip train: 4 steps, final loss"));
        (code, _, error) = CliRunner.Run(["classifier", "train", "--clip", temp.File("out"), "--data", temp.File("data/train.jsonl"),
            "--validation", temp.File("data/validation.jsonl"), "--style", "humor", "--out", temp.File("classifier"), "--epochs", "1", "--cache", "none"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
    }

    [Test]
    public void UsageErrorsAreOneLineWithExitCodeTwo()
    {
        using var temp = new TempDirectory();
        TinyClip.Write(temp.File("clip"));
        string[] common = ["clip", "train", "--clip", temp.File("clip"), "--data", temp.File("missing"), "--out", temp.File("out")];

        var (code, _, error) = CliRunner.Run([.. common, "--captions", "funny"]);
        Assert.That((code, error.Trim()), Is.EqualTo((ExitCodes.Usage, "error: --captions funny is not one of: all, factual, stylized (see 'engine-cli clip train --help')")));

        (code, _, error) = CliRunner.Run([.. common, "--batch-size", "1"]);
        Assert.That((code, error.Trim()), Is.EqualTo((ExitCodes.Usage, "error: --batch-size 1: expected an integer ≥ 2 (see 'engine-cli clip train --help')")));

        (code, _, error) = CliRunner.Run(["clip", "train", "--clip", temp.File("clip"), "--data", temp.File("data"), "--out", temp.File("clip")]);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("is not empty; pass --force"));

        (code, _, error) = CliRunner.Run(common);
        Assert.That(code, Is.EqualTo(ExitCodes.Failure));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1), error);
        Assert.That(error, Does.Contain("missing"));
    }

    [Test]
    public void HelpShowsExamples()
    {
        var (code, output, _) = CliRunner.Run(["clip", "train", "--help"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(output, Does.Contain("Examples:").And.Contain("engine-cli clip train --clip tiny-clip --data data/ --out clip-trained"));
    }
}
