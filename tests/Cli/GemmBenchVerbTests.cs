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
        var root = RunJson(["bench", "gemm", "--device", "cpu", "--size", "48", "--repeat", "2", "--json"]);
        Assert.That(root.GetProperty("size").GetInt32(), Is.EqualTo(48));
        Assert.That(root.GetProperty("device").GetString(), Is.EqualTo("cpu"));
        Assert.That(root.GetProperty("dtype").GetString(), Is.EqualTo("f32"));
        Assert.That(root.GetProperty("seconds").GetDouble(), Is.GreaterThan(0));
        Assert.That(root.GetProperty("gflops").GetDouble(), Is.GreaterThan(0));
    }

    [TestCase("bf16", false)]
    [TestCase("f32-bf16", true)]
    public void BenchGemm_CpuBf16_ReportsDtypeAndLayout(string dtype, bool transposeB)
    {
        string[] args = ["bench", "gemm", "--device", "cpu", "--shape", "20,40,30", "--repeat", "1", "--dtype", dtype, "--json"];
        var root = RunJson(transposeB ? [.. args, "--transpose-b"] : args);
        Assert.That(root.GetProperty("dtype").GetString(), Is.EqualTo(dtype));
        Assert.That(root.GetProperty("transpose_b").GetBoolean(), Is.EqualTo(transposeB));
        Assert.That(root.GetProperty("k").GetInt32(), Is.EqualTo(30));
        Assert.That(root.GetProperty("gflops").GetDouble(), Is.GreaterThan(0));
    }

    [TestCase("cuda", "f32-bf16")]
    [TestCase("cpu", "f16")]
    public void BenchGemm_UnsupportedDtype_ExitsWithTwo(string device, string dtype)
    {
        var error = Console.Error;
        var captured = new StringWriter();
        try
        {
            Console.SetError(captured);
            Assert.That(CliApp.Run(["bench", "gemm", "--device", device, "--dtype", dtype]), Is.EqualTo(2));
        }
        finally
        {
            Console.SetError(error);
        }
        Assert.That(captured.ToString(), Does.Contain("--dtype").And.Contain(dtype));
    }

    private static System.Text.Json.JsonElement RunJson(string[] args)
    {
        var output = Console.Out;
        var captured = new StringWriter();
        try
        {
            Console.SetOut(captured);
            Assert.That(CliApp.Run(args), Is.EqualTo(0));
        }
        finally
        {
            Console.SetOut(output);
        }
        using var json = System.Text.Json.JsonDocument.Parse(captured.ToString());
        return json.RootElement.Clone();
    }
}
