using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Cli;

[TestFixture, Category("Unit")]
public class DatasetVerbTests
{
    [Test]
    public void Synth_WritesTheDataset_AndRefusesANonEmptyFolderWithoutForce()
    {
        using var temp = new TempDirectory();
        string outDir = temp.File("synthetic");
        string[] args = ["dataset", "synth", "--out", outDir, "--train", "6", "--validation", "2", "--test", "3", "--size", "32", "--seed", "5"];

        var (code, output, error) = CliRunner.Run(args);
        Assert.That(code, Is.Zero, error);
        Assert.That(output.Trim(), Does.StartWith("synth: 11 images (6 train / 2 validation / 3 test), 22 pairs [humor, romantic], 32x32 px, seed 5"));
        Assert.That(File.ReadAllLines(Path.Combine(outDir, "train.jsonl")), Has.Length.EqualTo(12));
        Assert.That(Directory.GetFiles(Path.Combine(outDir, "images")), Has.Length.EqualTo(11));

        (code, _, error) = CliRunner.Run(args);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("not empty").And.Contain("--force"));

        (code, _, error) = CliRunner.Run([.. args, "--force"]);
        Assert.That(code, Is.Zero, error);
    }

    [Test]
    public void Synth_ReportsInvalidSizes()
    {
        using var temp = new TempDirectory();

        var (code, _, error) = CliRunner.Run(["dataset", "synth", "--out", temp.File("x"), "--size", "4"]);

        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("--size 4: expected an integer from 16 to 1024"));
    }

    [Test]
    public void Synth_WritesOnlyTheRequestedStyle()
    {
        using var temp = new TempDirectory();
        string outDir = temp.File("romantic");

        var (code, output, error) = CliRunner.Run(["dataset", "synth", "--out", outDir, "--train", "3", "--validation", "0", "--test", "0", "--style", "romantic"]);

        Assert.That(code, Is.Zero, error);
        Assert.That(output, Does.Contain("3 pairs [romantic]"));
        Assert.That(File.ReadAllLines(Path.Combine(outDir, "train.jsonl")), Has.All.Contains("\"style\":\"romantic\""));
        Assert.That(File.ReadAllText(Path.Combine(outDir, "validation.jsonl")), Is.Empty);
    }

}
