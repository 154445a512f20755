using NUnit.Framework;
using StyleAlign.Engine.Vision;
using StyleAlign.Trainers.Data;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Data;

[TestFixture, Category("Unit")]
public class PreferenceDatasetTests
{
    private const string GoodLine1 = """{"id":"a","image":"img/ok.png","prompt":"Describe.","chosen":"a silly cat!","rejected":"a cat","style":"humor"}""";
    private const string GoodLine2 = """{"id":"b","image":"img/ok.png","prompt":"Describe.","chosen":"a lovely cat","rejected":"a cat","style":"romantic"}""";

    private TempDirectory _temp = null!;

    [SetUp]
    public void CreateImages()
    {
        _temp = new TempDirectory();
        var rgb = new byte[8 * 8 * 3];
        Array.Fill(rgb, (byte)90);
        PngEncoder.WriteFile(_temp.File("img/ok.png"), rgb, 8, 8);
        File.WriteAllBytes(_temp.File("img/broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5, 6, 7, 8]);
    }

    [TearDown]
    public void DeleteImages() => _temp.Dispose();

    [Test]
    public void Load_ReadsExamples_AndResolvesImagesRelativeToTheFile()
    {
        string path = WriteJsonl("data/pairs.jsonl",
            GoodLine1.Replace("img/ok.png", "../img/ok.png"), "", GoodLine2.Replace("img/ok.png", "../img/ok.png"));

        var data = PreferenceDataset.Load(path, DataLoadOptions.Preference with { AllowOutsidePaths = true });

        Assert.That(data.Count, Is.EqualTo(2));
        var first = data.Examples[0];
        Assert.That(first, Is.EqualTo(new PreferenceExample("a", _temp.File("img/ok.png"), "Describe.", "a silly cat!", "a cat", "humor", 1, path)));
        Assert.That(data.Examples[1].LineNumber, Is.EqualTo(3));
        Assert.That(data.SkippedCount, Is.Zero);
    }

    [TestCase("""{"id":"x","image":"img/ok.png",""", "invalid JSON")]
    [TestCase("""["not","an","object"]""", "expected a JSON object")]
    [TestCase("""{"id":"x","image":"img/ok.png","prompt":"p","rejected":"r"}""", "missing field 'chosen'")]
    [TestCase("""{"id":"x","image":"img/ok.png","prompt":"p","chosen":"c"}""", "missing field 'rejected'")]
    [TestCase("""{"id":7,"image":"img/ok.png","prompt":"p","chosen":"c","rejected":"r"}""", "field 'id' must be a string, found Number")]
    [TestCase("""{"id":"x","image":"img/ok.png","prompt":"p","chosen":"  ","rejected":"r"}""", "field 'chosen' is empty")]
    [TestCase("""{"id":"x","image":"img/missing.png","prompt":"p","chosen":"c","rejected":"r"}""", "image not found")]
    [TestCase("""{"id":"x","image":"img/broken.png","prompt":"p","chosen":"c","rejected":"r"}""", "cannot decode image")]
    [TestCase("""{"id":"a","image":"img/ok.png","prompt":"p","chosen":"c","rejected":"r"}""", "duplicate id 'a' (first seen on line 1)")]
    public void Load_ReportsABadLine_WithFileLineAndReason(string badLine, string reason)
    {
        string path = WriteJsonl("pairs.jsonl", GoodLine1, badLine, GoodLine2);

        var error = Assert.Throws<DataFormatException>(() => PreferenceDataset.Load(path))!;

        Assert.That(error.FilePath, Is.EqualTo(path));
        Assert.That(error.LineNumber, Is.EqualTo(2));
        Assert.That(error.Reason, Does.Contain(reason));
        Assert.That(error.Message, Does.StartWith($"{path}:2: ").And.Contain(reason));
    }

    [Test]
    public void SkipBad_SkipsAndCountsEveryBadLine()
    {
        string path = WriteJsonl("pairs.jsonl",
            GoodLine1,
            "{oops",
            """{"id":"m","image":"img/missing.png","prompt":"p","chosen":"c","rejected":"r"}""",
            GoodLine2,
            """{"id":"d","image":"img/broken.png","prompt":"p","chosen":"c","rejected":"r"}""",
            """{"id":"n","image":"img/ok.png","prompt":"p","chosen":"c"}""");

        var data = PreferenceDataset.Load(path, new DataLoadOptions { SkipBad = true });

        Assert.That(data.Examples.Select(e => e.Id), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(data.SkippedCount, Is.EqualTo(4));
        Assert.That(data.Skipped.Select(e => e.LineNumber), Is.EqualTo(new[] { 2, 3, 5, 6 }));
        Assert.That(data.SkipReasons[0], Does.StartWith($"{path}:2: invalid JSON"));
        Assert.That(data.SkipReasons[3], Does.Contain("missing field 'rejected'"));
    }

    [Test]
    public void SftOptions_AllowAMissingRejected()
    {
        string path = WriteJsonl("sft.jsonl", """{"id":"s","image":"img/ok.png","prompt":"p","chosen":"c"}""");

        var data = PreferenceDataset.Load(path, DataLoadOptions.Sft);

        Assert.That(data.Examples.Single().Rejected, Is.Null);
        Assert.That(() => PreferenceDataset.Load(path), Throws.TypeOf<DataFormatException>().With.Message.Contains("missing field 'rejected'"));
    }

    [Test]
    public void StyleFilter_KeepsOnlyThatStyle()
    {
        string path = WriteJsonl("pairs.jsonl", GoodLine1, GoodLine2);

        var data = PreferenceDataset.Load(path, new DataLoadOptions { Style = "romantic" });

        Assert.That(data.Examples.Select(e => e.Id), Is.EqualTo(new[] { "b" }));
    }

    [Test]
    public void AFileWithoutExamples_IsAnError()
    {
        string path = WriteJsonl("empty.jsonl", "", "  ");

        var error = Assert.Throws<DataFormatException>(() => PreferenceDataset.Load(path))!;

        Assert.That(error.Message, Does.Contain("no examples"));
    }

    [Test]
    public void ExpandCaptions_MakesOnePairPerStyle()
    {
        using var dataset = new TempDirectory();
        var options = new SyntheticOptions { TrainCount = 5, ValidationCount = 2, TestCount = 3, ImageSize = 24 };
        SyntheticStyleDataset.Generate(dataset.Path, options);
        var items = SyntheticStyleDataset.CreateItems(options);
        string captions = dataset.File(SyntheticStyleDataset.CaptionsFileName);

        var all = PreferenceDataset.ExpandCaptions(captions);
        var humor = PreferenceDataset.ExpandCaptions(captions, style: SyntheticCaptions.Humor);
        var romanticTest = PreferenceDataset.ExpandCaptions(captions, SyntheticCaptions.Romantic, DataSplits.Test);

        Assert.That(all.Count, Is.EqualTo(20));
        Assert.That(humor.Count, Is.EqualTo(10));
        Assert.That(romanticTest.Examples.Select(e => e.Id), Is.EqualTo(new[] { "0007-romantic", "0008-romantic", "0009-romantic" }));
        var pair = humor.Examples[3];
        Assert.That(pair.Id, Is.EqualTo("0003-humor"));
        Assert.That(pair.Chosen, Is.EqualTo(items[3].Stylized[SyntheticCaptions.Humor]));
        Assert.That(pair.Rejected, Is.EqualTo(items[3].Factual));
        Assert.That(pair.Prompt, Is.EqualTo(StylePrompts.For(SyntheticCaptions.Humor)));
        Assert.That(pair.ImagePath, Is.EqualTo(dataset.File("images/0003.png")));
        // The expanded pairs are exactly those of the split files.
        var trainFile = PreferenceDataset.Load(dataset.File("train.jsonl")).Examples;
        var trainExpanded = PreferenceDataset.ExpandCaptions(captions, split: DataSplits.Train).Examples;
        Assert.That(trainExpanded.Select(e => e with { LineNumber = 0, SourcePath = null }), Is.EqualTo(trainFile.Select(e => e with { LineNumber = 0, SourcePath = null })));
    }

    [Test]
    public void ExpandCaptions_ReportsABadStylesField()
    {
        string path = WriteJsonl("captions.jsonl",
            """{"id":"0","image":"img/ok.png","factual":"a cat","styles":{"humor":"a silly cat!"}}""",
            """{"id":"1","image":"img/ok.png","factual":"a cat","styles":["a silly cat!"]}""");

        var error = Assert.Throws<DataFormatException>(() => PreferenceDataset.ExpandCaptions(path))!;

        Assert.That(error.Message, Does.StartWith($"{path}:2: ").And.Contain("field 'styles' must be an object"));
    }

    private string WriteJsonl(string relativePath, params string[] lines)
    {
        string path = _temp.File(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }
}
