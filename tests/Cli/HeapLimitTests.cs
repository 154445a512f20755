using System.Diagnostics;
using System.Text.Json.Nodes;
using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Tests.Training;

namespace StyleAlign.Tests.Cli;

/// <summary>
/// engine-cli as its own process under a small managed-heap limit: configs that imply a model far larger than the
/// limit are refused with one error line before anything of their size is allocated, never an out-of-memory crash.
/// </summary>
[TestFixture, Category("Unit")]
[NonParallelizable]
public sealed class HeapLimitTests
{
    /// <summary>256 MiB: far below what the configs below imply, far above what the tiny model needs.</summary>
    private const string HeapLimit = "0x10000000";

    /// <summary>A bound on a hang, not a timing: each command finishes in seconds.</summary>
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(2);

    private TempDirectory _temp = null!;

    [SetUp]
    public void Create() => _temp = new TempDirectory();

    [TearDown]
    public void Delete() => _temp.Dispose();

    private static (int Code, string Output, string Error) RunLimited(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(TestContext.CurrentContext.TestDirectory, "engine-cli.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["DOTNET_GCHeapHardLimit"] = HeapLimit;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Hang))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"engine-cli {string.Join(' ', args)} still ran after {Hang.TotalSeconds} s");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary>The tiny Qwen2.5-VL with one config value changed.</summary>
    private string ModelWith(string key, int value)
    {
        var folder = TinyTraining.WriteModelFolder(_temp.File("model"));
        var path = Path.Combine(folder, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var (parent, name) = key.StartsWith("vision_config.", StringComparison.Ordinal) ? (config["vision_config"]!.AsObject(), key["vision_config.".Length..]) : (config, key);
        parent[name] = value;
        File.WriteAllText(path, config.ToJsonString());
        return folder;
    }

    [Test]
    public void The_tiny_model_still_loads_under_the_limit()
    {
        var (code, output, error) = RunLimited("inspect", "--weights", TinyTraining.WriteModelFolder(_temp.File("model")));
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Is.Not.Empty);
    }

    [TestCase("num_hidden_layers", 1024)]
    [TestCase("intermediate_size", 1048576)]
    [TestCase("hidden_size", 65536)]
    [TestCase("vision_config.depth", 1024)]
    [TestCase("vocab_size", 4194304)]
    public void A_config_implying_a_huge_model_is_one_error_line_not_an_out_of_memory_crash(string key, int value)
    {
        var model = ModelWith(key, value);
        foreach (var verb in new[] { "inspect", "forward" })
        {
            string[] args = verb == "inspect" ? ["inspect", "--weights", model]
                : ["forward", "--weights", model, "--inputs", Compare.FixturePath("qwen25vl_tiny", "case1_text_leftpad.safetensors"), "--out", _temp.File("out.safetensors")];
            var (code, _, error) = RunLimited(args);
            Assert.That(code, Is.EqualTo(ExitCodes.Failure), $"{verb}: {error}");
            var line = CliRunner.AssertOneErrorLine(error)[0];
            Assert.That(line, Does.Contain(model), verb);
            Assert.That(error, Does.Not.Contain("OutOfMemory").And.Not.Contain("   at "), verb);
        }
    }
}
