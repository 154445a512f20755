using System.Text.Json;
using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Engine.IO;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Demo;

namespace StyleAlign.Tests.Demo;

[TestFixture, Category("Unit")]
public class DemoTests
{
    private TempDirectory _temp = null!;
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _temp = new TempDirectory();
        _dir = _temp.Path;
    }

    [TearDown]
    public void TearDown() => _temp.Dispose();

    [Test]
    public void ReducedDemoRunsEndToEndAndRaisesWinRate()
    {
        var output = new StringWriter();
        var saved = Console.Out;
        Console.SetOut(output);
        int code;
        try
        {
            code = CliApp.Run(["demo", "--out", Path.Combine(_dir, "run"), "--steps", "30", "--warmup-steps", "60", "--images", "32", "--quiet", "--json"]);
        }
        finally
        {
            Console.SetOut(saved);
        }
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), output.ToString());
        var last = output.ToString().Trim().Split('\n')[^1];
        using var json = JsonDocument.Parse(last);
        var r = json.RootElement;
        foreach (var key in new[] { "wr_logp_before", "wr_logp_after", "style_acc_before", "style_acc_after" })
            Assert.That(r.GetProperty(key).GetDouble(), Is.InRange(0.0, 100.0), key);
        Assert.That(r.GetProperty("wr_logp_after").GetDouble(), Is.GreaterThan(r.GetProperty("wr_logp_before").GetDouble() + 20));
        Assert.That(r.GetProperty("seconds").GetDouble(), Is.GreaterThan(0));
        var runDir = r.GetProperty("run_dir").GetString()!;
        foreach (var file in new[] { "report.md", "eval-after.jsonl", "simpo/metrics.jsonl", "simpo/metrics.png", "aligned-model/model.safetensors", "aligned-model/config.json" })
            Assert.That(File.Exists(Path.Combine(runDir, file)), Is.True, file);
    }

    [TestCase("--style", "gothic", "--style gothic is not one of: humor, romantic")]
    [TestCase("--method", "ppo", "--method ppo is not one of: sft, dpo, simpo, cwdpo")]
    public void ArgumentErrorsAreOneLine(string flag, string value, string message)
    {
        var error = new StringWriter();
        var saved = Console.Error;
        Console.SetError(error);
        int code;
        try
        {
            code = CliApp.Run(["demo", "--out", Path.Combine(_dir, "x"), flag, value]);
        }
        finally
        {
            Console.SetError(saved);
        }
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error.ToString().Trim(), Is.EqualTo($"error: {message}"));
    }

    [Test, Category("Golden")]
    public void ForwardServesClipFoldersToo()
    {
        var fixture = Compare.FixturePath("clip_tiny", "case_forward.safetensors");
        var output = Path.Combine(_dir, "clip-out.safetensors");
        Assert.That(CliApp.Run(["forward", "--weights", Compare.FixturePath("clip_tiny"), "--inputs", fixture, "--out", output]), Is.EqualTo(ExitCodes.Ok));
        using var expected = SafetensorsFile.Open(fixture);
        using var actual = SafetensorsFile.Open(output);
        foreach (var name in new[] { "image_embeds", "text_embeds", "logits_per_image" })
            Compare.AllClose(actual.ReadAsFloat32(name), expected.ReadAsFloat32(name), 1e-4, 1e-4, name);
    }

    [Test]
    public void EvalVerbPrintsTheSummaryFieldsOnATinyModel()
    {
        var model = Path.Combine(_dir, "tiny");
        var data = Path.Combine(_dir, "data");
        Assert.That(CliApp.Run(["init-tiny", model]), Is.EqualTo(ExitCodes.Ok));
        Assert.That(CliApp.Run(["dataset", "synth", "--out", data, "--train", "8", "--validation", "4", "--test", "4"]), Is.EqualTo(ExitCodes.Ok));
        var output = new StringWriter();
        var saved = Console.Out;
        Console.SetOut(output);
        try
        {
            Assert.That(CliApp.Run(["eval", "--weights", model, "--data", Path.Combine(data, "test.jsonl"), "--style", "humor", "--json"]), Is.EqualTo(ExitCodes.Ok));
        }
        finally
        {
            Console.SetOut(saved);
        }
        using var json = JsonDocument.Parse(output.ToString().Trim().Split('\n')[^1]);
        Assert.That(json.RootElement.GetProperty("n").GetInt32(), Is.EqualTo(4));
        Assert.That(json.RootElement.GetProperty("wr_logp").GetDouble(), Is.InRange(0.0, 100.0));
        Assert.That(json.RootElement.GetProperty("style_acc").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }
}
