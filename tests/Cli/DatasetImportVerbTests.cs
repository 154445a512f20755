using System.CommandLine;
using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Tests.Import;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Cli;

[TestFixture, Category("Unit")]
[NonParallelizable]
public class DatasetImportVerbTests
{
    [Test]
    public void NewYorkerPrintsWhatItKeptAndRefusesANonEmptyFolder()
    {
        using var temp = new TempDirectory();
        NewYorkerParquetFiles.WriteValidDownload(temp.File("download"));
        string[] args = ["dataset", "import", "newyorker", "--from", temp.File("download"), "--out", temp.File("out")];

        var (code, output, error) = CliRunner.Run(args);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.StartWith("newyorker: kept 5 pairs (3 train / 1 validation / 1 test) over 4 images (2 train / 1 validation / 1 test); skipped 0 -> "));

        (code, _, error) = CliRunner.Run(args);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error.Trim(), Does.StartWith("error: output folder").And.Contain("--force"));
        Assert.That(CliRunner.Run([.. args, "--force"]).Code, Is.EqualTo(ExitCodes.Ok));
    }

    [Test]
    public void AMalformedFileIsOneLineNamingIt()
    {
        using var temp = new TempDirectory();
        NewYorkerParquetFiles.WriteValidDownload(temp.File("download"));
        File.WriteAllBytes(NewYorkerParquetFiles.Shard(temp.File("download"), "test"), [1, 2, 3]);

        var (code, _, error) = CliRunner.Run(["dataset", "import", "newyorker", "--from", temp.File("download"), "--out", temp.File("out")]);

        Assert.That(code, Is.EqualTo(ExitCodes.Failure));
        Assert.That(error.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(error, Does.Contain("test-00000-of-00001.parquet: not a readable parquet file"));
    }

    [Test]
    public void FlickrStyleCountsSkippedRowsByReason()
    {
        using var temp = new TempDirectory();
        var files = new FlickrStyleFiles(temp.Path);
        File.Delete(files.ImagePath(5));

        var (code, output, error) = CliRunner.Run(["dataset", "import", "flickrstyle", "--from", files.StyleFolder, "--flickr30k", files.Flickr30kFolder,
            "--out", temp.File("out"), "--skip-bad", "--seed", "3"]);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.StartWith("flickrstyle: kept 12 pairs").And.Contain("skipped 1 ->"));
        Assert.That(output, Does.Contain("  skipped 1 x image not found (first: ").And.Contain("note: split by image with seed 3"));
        Assert.That(CliRunner.Run(["dataset", "import", "flickrstyle", "--from", files.StyleFolder, "--flickr30k", files.Flickr30kFolder, "--out", temp.File("o2"), "--style", "sarcastic"]).Code,
            Is.EqualTo(ExitCodes.Usage));
    }

    [TestCase("newyorker")]
    [TestCase("flickrstyle")]
    public void HelpShowsExamples(string dataset)
    {
        var (code, output, _) = CliRunner.Run(["dataset", "import", dataset, "--help"]);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(output, Does.Contain("Examples:").And.Contain($"engine-cli dataset import {dataset} --from"));
    }
}
