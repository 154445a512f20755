using System.Text.Json;
using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Cli;

/// <summary>engine-cli study on the tiny model and a small synthetic dataset: the table, resuming, and bad flags.</summary>
[TestFixture, Category("Unit")]
public class StudyVerbTests
{
    private TempDirectory _temp = null!;
    private string _model = null!;
    private string _data = null!;

    [OneTimeSetUp]
    public void WriteModelAndData()
    {
        _temp = new TempDirectory();
        _model = _temp.File("tiny");
        _data = _temp.File("data");
        Assert.That(CliRunner.Run("init-tiny", _model).Code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(CliRunner.Run("dataset", "synth", "--out", _data, "--train", "16", "--validation", "8", "--test", "6").Code, Is.EqualTo(ExitCodes.Ok));
    }

    [OneTimeTearDown]
    public void TearDown() => _temp.Dispose();

    private (int Code, string Output, string Error) Study(string outDir, params string[] more) => CliRunner.Run(
        ["study", "--weights", _model, "--data", _data, "--style", "humor", "--methods", "zero-shot,sft,simpo", "--fractions", "10,100",
         "--full", "--lr", "1e-3", "--max-steps", "4", "--batch-size", "4", "--max-new-tokens", "6", "--quiet", "--out", outDir, .. more]);

    [Test]
    public void A_study_writes_the_table_and_an_interrupted_one_resumes_to_the_same_table()
    {
        var dir = _temp.File("study");
        // --resume on a folder that does not exist starts a new study.
        var (code, output, error) = Study(dir, "--resume", "--json");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), output + error);
        using (var printed = JsonDocument.Parse(output.Trim().Split('\n')[^1]))
            Assert.That(printed.RootElement.GetProperty("rows").GetArrayLength(), Is.EqualTo(5));
        Assert.That(output, Does.Contain("5 cell(s) run now, 5 in the table"));

        var markdown = File.ReadAllText(Path.Combine(dir, "study.md"));
        var json = File.ReadAllText(Path.Combine(dir, "study.json"));
        Assert.That(File.Exists(Path.Combine(dir, "study.png")), Is.True);
        using (var table = JsonDocument.Parse(json))
        {
            var rows = table.RootElement.GetProperty("rows").EnumerateArray().ToList();
            Assert.That(rows.Select(r => (r.GetProperty("method").GetString(), r.GetProperty("fraction").GetDouble())),
                Is.EqualTo(new[] { ("zero-shot", 0.0), ("sft", 10.0), ("sft", 100.0), ("simpo", 10.0), ("simpo", 100.0) }), "zero-shot once, each method at each fraction");
            foreach (var row in rows)
            {
                foreach (var key in new[] { "wr_logp", "style_acc", "distinct" })
                    Assert.That(row.GetProperty(key).GetDouble(), Is.InRange(0.0, 100.0), key);
                Assert.That(row.GetProperty("clipscore").GetDouble(), Is.InRange(0.0, 2.5));
            }
            Assert.That(rows[2].GetProperty("wr_logp").GetDouble(), Is.Not.EqualTo(rows[0].GetProperty("wr_logp").GetDouble()), "training moved the model");
        }
        Assert.That(markdown, Does.Contain("| zero-shot | 0 | 0 | 0 |").And.Contain("| simpo | 100 | 16 | 4 |"));

        // An interruption during the last cell: its record never written, its folder half there, the table stale.
        File.Delete(Path.Combine(dir, "cells", "simpo-100.json"));
        File.Delete(Path.Combine(dir, "simpo", "fraction-100", "metrics.jsonl"));
        File.WriteAllText(Path.Combine(dir, "study.md"), "stale");
        (code, output, error) = Study(dir, "--resume");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), output + error);
        Assert.That(output, Does.Contain("1 cell(s) run now, 5 in the table"), "only the unrecorded cell runs again");
        Assert.That(File.ReadAllText(Path.Combine(dir, "study.md")), Is.EqualTo(markdown));
        Assert.That(File.ReadAllText(Path.Combine(dir, "study.json")), Is.EqualTo(json));

        // Resuming a finished study runs nothing and rewrites the table.
        File.Delete(Path.Combine(dir, "study.md"));
        (code, output, _) = Study(dir, "--resume");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(output, Does.Contain("0 cell(s) run now, 5 in the table"));
        Assert.That(File.ReadAllText(Path.Combine(dir, "study.md")), Is.EqualTo(markdown));

        // Other settings do not resume into this folder, and a non-empty one is not run into without --resume.
        (code, _, error) = Study(dir, "--resume", "--seed", "7");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(CliRunner.AssertOneErrorLine(error)[0], Does.Contain("seed = 42, this command asks 7"));
        (code, _, error) = Study(dir);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(CliRunner.AssertOneErrorLine(error)[0], Does.Contain("is not empty"));
    }

    [TestCase("--methods", "zero-shot,ppo", "--methods: 'ppo' is not one of: zero-shot, sft, simpo, dpo, cwdpo")]
    [TestCase("--fractions", "10,0", "--fractions: '0' is not a percentage in (0, 100]")]
    [TestCase("--fractions", "10,abc", "--fractions: 'abc' is not a percentage in (0, 100]")]
    [TestCase("--max-steps", "-1", "--max-steps -1")]
    [TestCase("--max-new-tokens", "0", "--max-new-tokens 0")]
    [TestCase("--sft-weight", "nan", "--sft-weight nan")]
    [TestCase("--batch-size", "0", "--batch-size 0")]
    public void A_bad_flag_is_one_usage_line(string flag, string value, string message)
    {
        var (code, output, error) = CliRunner.Run("study", "--weights", _model, "--data", _data, "--out", _temp.File("bad"), flag, value);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage), output + error);
        var lines = CliRunner.AssertOneErrorLine(error);
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.Contain(message).And.EndWith("see 'engine-cli study --help')"));
        Assert.That(Directory.Exists(_temp.File("bad")), Is.False, "nothing is written");
    }

    [Test]
    public void A_missing_data_folder_is_one_error_line_naming_it()
    {
        var (code, _, error) = CliRunner.Run("study", "--weights", _model, "--data", _temp.File("nowhere"), "--out", _temp.File("none"));
        Assert.That(code, Is.EqualTo(ExitCodes.Failure));
        Assert.That(CliRunner.AssertOneErrorLine(error)[0], Does.Contain("nowhere").And.Contain("no such folder"));
    }
}
