using NUnit.Framework;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Vision;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Tests.Training;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Tests.Data;

/// <summary>Bounds on what a data file may hold and name: line length, text length, image paths, the model's positions.</summary>
[TestFixture, Category("Unit")]
public sealed class DataBoundsTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void WriteImage()
    {
        _temp = new TempDirectory();
        var rgb = new byte[32 * 32 * 3];
        Array.Fill(rgb, (byte)90);
        PngEncoder.WriteFile(_temp.File("data/img/ok.png"), rgb, 32, 32);
        PngEncoder.WriteFile(_temp.File("outside.png"), rgb, 32, 32);
    }

    [TearDown]
    public void Delete() => _temp.Dispose();

    private static string Line(string id, string image = "img/ok.png", string prompt = "Describe.", string chosen = "a silly cat", string rejected = "a cat") =>
        $$"""{"id":"{{id}}","image":{{System.Text.Json.JsonSerializer.Serialize(image)}},"prompt":{{System.Text.Json.JsonSerializer.Serialize(prompt)}},"chosen":"{{chosen}}","rejected":"{{rejected}}"}""";

    private string Write(params string[] lines)
    {
        var path = _temp.File("data/pairs.jsonl");
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    [TestCase("/ABSOLUTE/outside.png")]
    [TestCase("../outside.png")]
    [TestCase("img/../../outside.png")]
    public void An_image_outside_the_data_folder_is_refused_naming_the_line_unless_allowed(string image)
    {
        image = image.Replace("/ABSOLUTE/", _temp.Path + "/", StringComparison.Ordinal);
        var path = Write(Line("a"), Line("b", image));
        var error = Assert.Throws<DataFormatException>(() => PreferenceDataset.Load(path))!;
        Assert.That(error.Message, Does.StartWith($"{path}:2: image '{image}' lies outside the data file's folder").And.Contain("--allow-outside-paths"));

        Assert.That(PreferenceDataset.Load(path, DataLoadOptions.Preference with { AllowOutsidePaths = true }).Examples[1].ImagePath, Is.EqualTo(_temp.File("outside.png")));
        using (InputPaths.AllowOutside())
            Assert.That(PreferenceDataset.Load(path).Count, Is.EqualTo(2), "the ambient allowance the command-line flag sets");
    }

    [Test]
    public void A_path_that_stays_inside_after_dot_dot_is_fine()
    {
        var path = Write(Line("a", "./img/../img/ok.png"));
        Assert.That(PreferenceDataset.Load(path).Examples[0].ImagePath, Is.EqualTo(_temp.File("data/img/ok.png")));
    }

    [TestCase("prompt")]
    [TestCase("chosen")]
    public void A_text_beyond_the_limit_is_refused_before_it_is_tokenized(string field)
    {
        var huge = string.Concat(Enumerable.Repeat("ha ", 40_000));
        var path = Write(Line("a"), field == "prompt" ? Line("b", prompt: huge) : Line("b", chosen: huge));
        var error = Assert.Throws<DataFormatException>(() => PreferenceDataset.Load(path))!;
        Assert.That(error.Message, Does.StartWith($"{path}:2: field '{field}' is 120000 characters, more than the {DataLimits.MaxTextCharacters}"));
        var skipped = PreferenceDataset.Load(path, DataLoadOptions.Preference with { SkipBad = true });
        Assert.That((skipped.Count, skipped.SkippedCount), Is.EqualTo((1, 1)));
    }

    [Test]
    public void A_lone_surrogate_in_a_caption_is_refused_naming_the_field()
    {
        var path = Write(Line("a", chosen: "x\\ud800y"));
        var error = Assert.Throws<DataFormatException>(() => PreferenceDataset.Load(path))!;
        Assert.That(error.Message, Does.StartWith($"{path}:1: field 'chosen' is not valid Unicode text"));
    }

    [Test]
    public void A_data_file_that_is_a_fifo_is_refused_at_once()
    {
        var fifo = _temp.RequireFifo("pairs.jsonl");
        var error = Assert.Throws<InputFileException>(() => PreferenceDataset.Load(fifo))!;
        Assert.That(error.Message, Does.Contain(fifo).And.Contain("FIFO"));
    }

    [Test]
    public void Lines_are_read_one_by_one_with_their_numbers_and_a_bad_one_is_named()
    {
        var path = _temp.File("lines.txt");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. "one\r\n\ntwo\n"u8, 0xC3, 0x28, .. "\nfour"u8]);
        var lines = new List<(int, string)>();
        var error = Assert.Throws<InputFileException>(() => { foreach (var line in InputFiles.ReadLines(path, 100, "data file")) lines.Add(line); })!;
        Assert.That(lines, Is.EqualTo(new[] { (1, "one"), (2, ""), (3, "two") }));
        Assert.That(error.Message, Is.EqualTo($"{path}: line 4 is not UTF-8 text (invalid byte at column 1)"));

        File.WriteAllText(path, "short\n" + new string('x', 101) + "\n");
        error = Assert.Throws<InputFileException>(() => InputFiles.ReadLines(path, 100, "data file").ToList())!;
        Assert.That(error.Message, Is.EqualTo($"{path}: line 2 is longer than the 100 bytes a line of a data file may be"));
        Assert.That(InputFiles.ReadLines(path, 200, "data file").Select(l => l.Number), Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public void An_example_longer_than_the_model_positions_is_refused_with_its_line_or_skipped()
    {
        var model = TinyTraining.WriteModelFolder(_temp.File("model"));
        var collator = TinyTraining.Collator(model, maxCaptionTokens: 16);
        var path = Write(Line("a"), Line("b", prompt: string.Concat(Enumerable.Repeat("describe the picture ", 380))), Line("c"));
        var examples = PreferenceDataset.Load(path).Examples;

        var error = Assert.Throws<DataFormatException>(() => SequenceBudget.Fit(examples, collator, 600, skipBad: false))!;
        Assert.That(error.Message, Does.StartWith($"{path}:2: example 'b' needs").And.Contain("max_position_embeddings 600"));

        var warnings = new List<string>();
        var kept = SequenceBudget.Fit(examples, collator, 600, skipBad: true, warnings.Add);
        Assert.That(kept.Select(e => e.Id), Is.EqualTo(new[] { "a", "c" }));
        Assert.That(warnings, Has.Count.EqualTo(1).And.Some.EndsWith("; skipped"));
        Assert.That(SequenceBudget.Fit(examples.Take(1).ToList(), collator, 600, skipBad: false), Has.Count.EqualTo(1));
    }

    [Test]
    public void An_image_too_small_for_the_processor_is_refused_with_the_data_line()
    {
        var model = TinyTraining.WriteModelFolder(_temp.File("model"));
        PngEncoder.WriteFile(_temp.File("data/img/tiny.png"), new byte[4 * 4 * 3], 4, 4);
        var path = Write(Line("a"), Line("b", "img/tiny.png"));
        var error = Assert.Throws<DataFormatException>(() => SequenceBudget.Fit(PreferenceDataset.Load(path).Examples, TinyTraining.Collator(model), 2048, skipBad: false))!;
        Assert.That(error.Message, Does.StartWith($"{path}:2: ").And.Contain("tiny.png"));
    }
}
