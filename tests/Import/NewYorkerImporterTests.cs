using NUnit.Framework;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Data.Import;
using static StyleAlign.Tests.Import.NewYorkerParquetFiles;

namespace StyleAlign.Tests.Import;

[TestFixture, Category("Unit")]
public class NewYorkerImporterTests
{
    [Test]
    public void ImportsThePublishedSplitsWithFactualAndHumorousCaptions()
    {
        using var temp = new TempDirectory();
        WriteValidDownload(temp.File("download"));

        var summary = NewYorkerImporter.Import(temp.File("download"), temp.File("out"), skipBad: false);

        Assert.That(summary.PairsPerSplit, Is.EqualTo(new Dictionary<string, int> { ["train"] = 3, ["validation"] = 1, ["test"] = 1 }));
        Assert.That(summary.ImagesPerSplit["train"], Is.EqualTo(2), "rows of one contest share one image file");
        Assert.That(summary.Skipped, Is.Empty);
        Assert.That(Directory.GetFiles(temp.File("out/images")), Has.Length.EqualTo(4));
        var train = PreferenceDataset.Load(temp.File("out/train.jsonl")).Examples;
        Assert.That(train.Select(e => e.Id), Is.EqualTo(new[] { "a1-humor", "a2-humor", "b1-humor" }));
        Assert.That(train[0].Chosen, Is.EqualTo("Caption a1: I told you the rent was going up."));
        Assert.That(train[0].Rejected, Is.EqualTo("Two people talk in an office in contest 1."));
        Assert.That(train[0].Style, Is.EqualTo("humor"));
        Assert.That(train[0].Prompt, Is.EqualTo(StylePrompts.For("humor")));
        Assert.That(train[0].ImagePath, Is.EqualTo(train[1].ImagePath));
        Assert.That(train[0].ImagePath, Does.EndWith(".png"));
        var captions = PreferenceDataset.ExpandCaptions(temp.File("out/captions.jsonl"), split: "test").Examples;
        Assert.That(captions.Single().Id, Is.EqualTo("d1-humor"));
        Assert.That(Directory.GetDirectories(temp.Path), Has.Length.EqualTo(2), "no staging folder is left behind");
    }

    [Test]
    public void RejectsACaptionChoicesListAsInTheMatchingConfig()
    {
        using var temp = new TempDirectory();
        WriteValidDownload(temp.File("download"));
        Write(Shard(temp.File("download"), "validation"), [new MatchingRow { Image = new EncodedImage { Bytes = Cartoon(1) }, ImageDescription = "d", CaptionChoices = ["a", "b"], InstanceId = "m" }]);

        var error = Assert.Throws<DataFormatException>(() => NewYorkerImporter.Import(temp.File("download"), temp.File("out"), false))!;

        Assert.That(error.Message, Does.Contain("validation-00000-of-00001.parquet").And.Contain("column 'caption_choices' is a list of strings, expected a string"));
        Assert.That(Directory.Exists(temp.File("out")), Is.False, "nothing is written when the import fails");
    }

    [Test]
    public void NamesAMissingColumnAndTheColumnsTheFileHas()
    {
        using var temp = new TempDirectory();
        WriteValidDownload(temp.File("download"));
        Write(Shard(temp.File("download"), "test"), [new RowWithoutDescription { Image = new EncodedImage { Bytes = Cartoon(1) }, CaptionChoices = "c", InstanceId = "x" }]);

        var error = Assert.Throws<DataFormatException>(() => NewYorkerImporter.Import(temp.File("download"), temp.File("out"), false))!;

        Assert.That(error.Message, Does.Contain("test-00000-of-00001.parquet: no column 'image_description' (the file has: image, caption_choices, instance_id)"));
    }

    [Test]
    public void StopsAtARowWithoutImageBytesOrSkipsAndCountsItWithSkipBad()
    {
        using var temp = new TempDirectory();
        WriteValidDownload(temp.File("download"));
        Write(Shard(temp.File("download"), "train"), [Row(1, "a1", Cartoon(3)), Row(2, "b1", null), Row(3, "c9", [1, 2, 3, 4])]);

        var error = Assert.Throws<DataFormatException>(() => NewYorkerImporter.Import(temp.File("download"), temp.File("out"), false))!;
        Assert.That(error.Message, Does.Contain("train-00000-of-00001.parquet: row 1 (instance_id b1): image.bytes is null").And.Contain("--skip-bad"));

        var summary = NewYorkerImporter.Import(temp.File("download"), temp.File("out"), skipBad: true);
        Assert.That(summary.PairsPerSplit["train"], Is.EqualTo(1));
        Assert.That(summary.Skipped.Select(s => s.Kind), Is.EqualTo(new[] { "no image", "unreadable image" }));
        Assert.That(summary.Skipped[1].Error.Message, Does.Contain("row 2 (instance_id c9): the image is not a JPEG, PNG, GIF or BMP file"));
    }

    [Test]
    public void RejectsDuplicateInstanceIdsAcrossSplits()
    {
        using var temp = new TempDirectory();
        WriteValidDownload(temp.File("download"));
        Write(Shard(temp.File("download"), "test"), [Row(4, "a1", Cartoon(7))]);

        var error = Assert.Throws<DataFormatException>(() => NewYorkerImporter.Import(temp.File("download"), temp.File("out"), false))!;

        Assert.That(error.Message, Does.Contain("row 0 (instance_id a1): instance_id already used by train-00000-of-00001.parquet row 0"));
    }

    [Test]
    public void ReportsATruncatedParquetFileAndAMissingSplit()
    {
        using var temp = new TempDirectory();
        WriteValidDownload(temp.File("download"));
        var shard = Shard(temp.File("download"), "validation");
        var bytes = File.ReadAllBytes(shard);
        File.WriteAllBytes(shard, bytes[..(bytes.Length / 2)]);

        var error = Assert.Throws<DataFormatException>(() => NewYorkerImporter.Import(temp.File("download"), temp.File("out"), false))!;
        Assert.That(error.Message, Does.StartWith(Path.GetFullPath(shard) + ": not a readable parquet file"));

        File.Delete(shard);
        error = Assert.Throws<DataFormatException>(() => NewYorkerImporter.Import(temp.File("download"), temp.File("out"), false))!;
        Assert.That(error.Message, Does.Contain("no validation parquet file of the 'explanation' config: expected explanation/validation-00000-of-00001.parquet"));
    }
}
