using System.Text.Json;
using NUnit.Framework;
using StyleAlign.Cli;

namespace StyleAlign.Tests.Cli;

[TestFixture, Category("Unit")]
public class AttentionBenchVerbTests
{
    [Test]
    public void PrintsOneJsonObjectWithTimesMemoryAndError()
    {
        var output = RunCli("bench", "attention", "--seq", "96", "--heads", "4", "--kv-heads", "2", "--head-dim", "16", "--causal", "--window", "32", "--json");
        Assert.That(output.ExitCode, Is.EqualTo(0), output.Error);
        using var json = JsonDocument.Parse(output.Out);
        var root = json.RootElement;
        foreach (var key in new[] { "fused_ms", "composite_ms", "fused_peak_bytes", "composite_peak_bytes", "tflops", "max_abs_err" })
            Assert.That(root.TryGetProperty(key, out _), Is.True, $"missing {key} in {output.Out}");
        Assert.That(root.GetProperty("segments").GetInt32(), Is.EqualTo(3));
        Assert.That(root.GetProperty("max_abs_err").GetDouble(), Is.LessThan(1e-4));
        Assert.That(root.GetProperty("composite_peak_bytes").GetInt64(), Is.GreaterThan(root.GetProperty("fused_peak_bytes").GetInt64()));
    }

    [Test]
    public void CudaWithoutABackendIsAClearError()
    {
        var output = RunCli("bench", "attention", "--device", "cuda", "--seq", "16", "--json");
        Assert.That(output.ExitCode, Is.EqualTo(2));
        Assert.That(output.Error.Trim(), Does.StartWith("error: --device cuda:0:").And.EndWith("(see 'engine-cli bench attention --help')"));
    }

    private static (int ExitCode, string Out, string Error) RunCli(params string[] args)
    {
        var (savedOut, savedError) = (Console.Out, Console.Error);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            var code = CliApp.Run(args);
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedError);
        }
    }
}
