using NUnit.Framework;
using StyleAlign.Cli;

namespace StyleAlign.Tests.Cli;

[TestFixture]
[Category("Unit")]
public class GemmBenchVerbTests
{
    [Test]
    public void BenchVerb_DiscoversGemmSubcommand()
    {
        var bench = new BenchVerb().Build();
        Assert.That(bench.Subcommands.Select(c => c.Name), Does.Contain("gemm"));
    }

    [Test]
    public void BenchGemm_CudaWithoutADevice_ExitsWithTwo()
    {
        if (StyleAlign.Engine.Cuda.CudaContext.IsAvailable) Assert.Ignore("a CUDA device is present; this checks the exit code where there is none");
        var error = Console.Error;
        try
        {
            Console.SetError(TextWriter.Null);
            Assert.That(CliApp.Run(["bench", "gemm", "--device", "cuda"]), Is.EqualTo(2));
        }
        finally
        {
            Console.SetError(error);
        }
    }

    [Test]
    public void BenchGemm_Json_ReportsSizeAndThroughput()
    {
        var output = Console.Out;
        var captured = new StringWriter();
        try
        {
            Console.SetOut(captured);
            Assert.That(CliApp.Run(["bench", "gemm", "--device", "cpu", "--size", "48", "--repeat", "2", "--json"]), Is.EqualTo(0));
        }
        finally
        {
            Console.SetOut(output);
        }
        using var json = System.Text.Json.JsonDocument.Parse(captured.ToString());
        var root = json.RootElement;
        Assert.That(root.GetProperty("size").GetInt32(), Is.EqualTo(48));
        Assert.That(root.GetProperty("device").GetString(), Is.EqualTo("cpu"));
        Assert.That(root.GetProperty("seconds").GetDouble(), Is.GreaterThan(0));
        Assert.That(root.GetProperty("gflops").GetDouble(), Is.GreaterThan(0));
    }
}
