using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Tests.Training;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Tests.Cli;

/// <summary>The run-folder policy every training verb applies to --out, and what it refuses to delete.</summary>
[TestFixture, Category("Unit")]
[NonParallelizable]
public sealed class RunFolderTests
{
    [Test]
    public void A_training_verb_refuses_a_non_empty_out_without_resume_and_replaces_it_with_force()
    {
        using var temp = new TempDirectory();
        var model = TinyTraining.WriteModelFolder(temp.File("model"));
        var (train, _) = TinyTraining.WriteData(temp.File("data"), 2, 0);
        var run = temp.File("run");
        string[] simpo = ["simpo", "--weights", model, "--data", train, "--out", run, "--max-steps", "1", "--batch-size", "2", "--lora-rank", "2", "--max-caption-tokens", "8", "--quiet"];
        Directory.CreateDirectory(Path.Combine(run, "checkpoint-7"));
        File.WriteAllText(Path.Combine(run, "metrics.jsonl"), "{\"step\": 7}\n");

        var (code, _, error) = CliRunner.Run(simpo);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(CliRunner.AssertOneErrorLine(error).Single(), Does.Contain("--out").And.Contain("not empty").And.Contain("--resume").And.Contain("--force").And.EndWith("(see 'engine-cli simpo --help')"));
        Assert.That(File.ReadAllText(Path.Combine(run, "metrics.jsonl")), Is.EqualTo("{\"step\": 7}\n"), "nothing was touched");

        (code, _, error) = CliRunner.Run([.. simpo, "--resume", "--force"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(CliRunner.AssertOneErrorLine(error).Single(), Does.Contain("--resume").And.Contain("--force"));

        (code, _, error) = CliRunner.Run([.. simpo, "--force"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(Directory.Exists(Path.Combine(run, "checkpoint-7")), Is.False, "the old run was replaced");
        Assert.That(Directory.Exists(Path.Combine(run, "checkpoint-1")));
        Assert.That(File.ReadAllLines(Path.Combine(run, "metrics.jsonl")), Has.Length.EqualTo(1));

        (code, _, error) = CliRunner.Run([.. simpo, "--resume"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
    }

    [Test]
    public void Force_never_deletes_the_working_folder()
    {
        using var temp = new TempDirectory();
        var run = temp.File("run");
        Directory.CreateDirectory(Path.Combine(run, "inner"));
        File.WriteAllText(Path.Combine(run, "keep.txt"), "x");
        var saved = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = Path.Combine(run, "inner");
            Assert.That(() => RunFolder.Prepare(run, resume: false, replace: true), Throws.TypeOf<RunFolderException>().With.Message.Contains("working folder"));
        }
        finally
        {
            Environment.CurrentDirectory = saved;
        }
        Assert.That(File.Exists(Path.Combine(run, "keep.txt")));
        Assert.That(() => RunFolder.Prepare(Path.Combine(run, "keep.txt"), resume: false, replace: false), Throws.TypeOf<RunFolderException>().With.Message.Contains("is a file"));
        Assert.DoesNotThrow(() => RunFolder.Prepare(temp.File("new"), resume: false, replace: false));
        Assert.DoesNotThrow(() => RunFolder.Prepare(run, resume: true, replace: false));
    }
}
