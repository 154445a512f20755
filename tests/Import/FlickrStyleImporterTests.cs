using NUnit.Framework;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Data.Import;

namespace StyleAlign.Tests.Import;

[TestFixture, Category("Unit")]
public class FlickrStyleImporterTests
{
    [Test]
    public void PairsEachCaptionLineWithItsPickledImageAndTheFirstFlickr30kCaption()
    {
        using var temp = new TempDirectory();
        var files = new FlickrStyleFiles(temp.Path);

        var summary = FlickrStyleImporter.Import(files.StyleFolder, files.Flickr30kFolder, temp.File("out"), new FlickrStyleImportOptions());

        Assert.That(summary.ImagesPerSplit, Is.EqualTo(new Dictionary<string, int> { ["train"] = 5, ["validation"] = 1, ["test"] = 1 }));
        Assert.That(summary.TotalPairs, Is.EqualTo(14));
        Assert.That(summary.Notes, Has.Some.Contains("romantic_train.txt: 1 lines were not UTF-8 and were read as Windows-1252"));
        var all = DataSplits.All.SelectMany(s => PreferenceDataset.Load(temp.File($"out/{s}.jsonl")).Examples).ToList();
        var photo3 = all.Where(e => e.Id.StartsWith(files.Ids[3] + "-", StringComparison.Ordinal)).OrderBy(e => e.Style).ToList();
        Assert.That(photo3.Select(e => e.Style), Is.EqualTo(new[] { "humor", "romantic" }));
        Assert.That(photo3[0].Chosen, Is.EqualTo("a dog plans a heist number 3"));
        Assert.That(photo3[1].Chosen, Is.EqualTo("the sun\u2019s last kiss"));
        Assert.That(photo3[0].Rejected, Is.EqualTo("A dog runs on the grass in photo 3 ."));
        Assert.That(File.ReadAllBytes(photo3[0].ImagePath), Is.EqualTo(File.ReadAllBytes(files.ImagePath(3))));
        Assert.That(Path.GetFileName(photo3[0].ImagePath), Is.EqualTo(files.Ids[3] + ".jpg"));
    }

    [Test]
    public void SplitsByImageDeterministically()
    {
        Assert.That(FlickrStyleImporter.SplitByImage(7000, 1234).GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count()),
            Is.EqualTo(new Dictionary<string, int> { ["train"] = 5400, ["validation"] = 600, ["test"] = 1000 }));
        Assert.That(FlickrStyleImporter.SplitByImage(50, 7), Is.EqualTo(FlickrStyleImporter.SplitByImage(50, 7)));
        Assert.That(FlickrStyleImporter.SplitByImage(50, 7), Is.Not.EqualTo(FlickrStyleImporter.SplitByImage(50, 8)));

        using var temp = new TempDirectory();
        var files = new FlickrStyleFiles(temp.Path);
        FlickrStyleImporter.Import(files.StyleFolder, files.Flickr30kFolder, temp.File("out"), new FlickrStyleImportOptions());
        foreach (var split in DataSplits.All)
        {
            var examples = PreferenceDataset.Load(temp.File($"out/{split}.jsonl")).Examples;
            Assert.That(examples.GroupBy(e => e.ImagePath).Select(g => g.Count()), Has.All.EqualTo(2), $"{split}: both styles of an image stay together");
        }
    }

    [Test]
    public void ImportsOneStyleFromItsOwnFiles()
    {
        using var temp = new TempDirectory();
        var files = new FlickrStyleFiles(temp.Path);
        Directory.Delete(Path.Combine(files.StyleFolder, "humor"), recursive: true);

        var summary = FlickrStyleImporter.Import(files.StyleFolder, files.Flickr30kFolder, temp.File("out"), new FlickrStyleImportOptions { Style = "romantic" });

        Assert.That(summary.TotalPairs, Is.EqualTo(FlickrStyleFiles.Images));
        Assert.That(File.ReadAllLines(temp.File("out/train.jsonl")), Has.All.Contains("\"style\":\"romantic\""));
    }

    [Test]
    public void ATruncatedPickleIsAnErrorNamingTheFile()
    {
        using var temp = new TempDirectory();
        var files = new FlickrStyleFiles(temp.Path);
        var bytes = File.ReadAllBytes(files.NamesFile("humor"));
        File.WriteAllBytes(files.NamesFile("humor"), bytes[..(bytes.Length - 10)]);

        var error = Assert.Throws<DataFormatException>(() => FlickrStyleImporter.Import(files.StyleFolder, files.Flickr30kFolder, temp.File("out"), new FlickrStyleImportOptions()))!;

        Assert.That(error.Message, Does.StartWith(Path.GetFullPath(files.NamesFile("humor")) + ": byte ").And.Contain("truncated"));
        Assert.That(Directory.Exists(temp.File("out")), Is.False);
    }

    [Test]
    public void CaptionsAndNamesMustPairLineByLine()
    {
        using var temp = new TempDirectory();
        var files = new FlickrStyleFiles(temp.Path);
        File.AppendAllText(files.CaptionFile("humor"), "one caption too many\n");

        var error = Assert.Throws<DataFormatException>(() => FlickrStyleImporter.Import(files.StyleFolder, files.Flickr30kFolder, temp.File("out"), new FlickrStyleImportOptions()))!;

        Assert.That(error.Message, Does.Contain("funny_train.txt: 8 captions, but").And.Contain("train.p names 7 images"));
    }

    [Test]
    public void AMissingImageStopsTheImportOrIsSkippedAndCounted()
    {
        using var temp = new TempDirectory();
        var files = new FlickrStyleFiles(temp.Path);
        File.Delete(files.ImagePath(2));

        var error = Assert.Throws<DataFormatException>(() => FlickrStyleImporter.Import(files.StyleFolder, files.Flickr30kFolder, temp.File("out"), new FlickrStyleImportOptions()))!;
        Assert.That(error.Message, Does.Contain($"humor/train.p item 2 ({files.Names[2]}): image not found: {files.ImagePath(2)}").And.Contain("--skip-bad"));

        var summary = FlickrStyleImporter.Import(files.StyleFolder, files.Flickr30kFolder, temp.File("out"), new FlickrStyleImportOptions { SkipBad = true });
        Assert.That(summary.TotalImages, Is.EqualTo(FlickrStyleFiles.Images - 1));
        Assert.That(summary.Skipped.Single().Kind, Is.EqualTo("image not found"));
    }

    [Test]
    public void AnEmptyCaptionNamesItsLine()
    {
        using var temp = new TempDirectory();
        var files = new FlickrStyleFiles(temp.Path);
        var lines = File.ReadAllLines(files.CaptionFile("humor"));
        lines[4] = "   ";
        File.WriteAllText(files.CaptionFile("humor"), string.Join("\n", lines) + "\n");

        var error = Assert.Throws<DataFormatException>(() => FlickrStyleImporter.Import(files.StyleFolder, files.Flickr30kFolder, temp.File("out"), new FlickrStyleImportOptions()))!;

        Assert.That(error.Message, Does.StartWith($"{files.CaptionFile("humor")}:5: the caption of {files.Names[4]} is empty"));
    }

    [Test]
    public void AMalformedTokenLineNamesFileAndLine()
    {
        using var temp = new TempDirectory();
        var files = new FlickrStyleFiles(temp.Path);
        File.AppendAllText(Path.Combine(files.Flickr30kFolder, "results_20130124.token"), "no tab on this line\n");

        var error = Assert.Throws<DataFormatException>(() => FlickrStyleImporter.Import(files.StyleFolder, files.Flickr30kFolder, temp.File("out"), new FlickrStyleImportOptions()))!;

        Assert.That(error.Message, Is.EqualTo($"{Path.Combine(files.Flickr30kFolder, "results_20130124.token")}:16: expected '<image>.jpg#<k><TAB><caption>'"));
    }
}
