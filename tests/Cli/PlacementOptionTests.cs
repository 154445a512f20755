using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Engine.Cuda;

namespace StyleAlign.Tests.Cli;

/// <summary>--device and --dtype: every verb that runs a model takes both, and a bad value is one clear line.</summary>
[Category("Unit")]
[NonParallelizable]
public class PlacementOptionTests
{
    private static readonly string[][] ModelVerbs =
    [
        ["sft"], ["dpo"], ["simpo"], ["cwdpo"], ["sweep"], ["eval"], ["generate"], ["forward"], ["demo"], ["classifier", "train"], ["classifier", "eval"],
    ];

    [TestCaseSource(nameof(ModelVerbs))]
    public void Every_verb_that_runs_a_model_offers_device_and_dtype(string[] verb)
    {
        var (code, output, error) = CliRunner.Run([.. verb, "--help"]);
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("--device").And.Contain("--dtype"), string.Join(' ', verb));
    }

    [Test]
    public void An_unknown_dtype_is_one_error_line()
    {
        var (code, _, error) = CliRunner.Run("demo", "--dtype", "f16", "--out", Path.Combine(Path.GetTempPath(), "never-written"));
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(CliRunner.AssertOneErrorLine(error)[0], Does.Contain("--dtype f16"));
    }

    [Test]
    public void Cuda_without_a_device_is_one_error_line_naming_the_reason()
    {
        if (CudaContext.IsAvailable) Assert.Ignore("a CUDA device (or the CPU stand-in) is available here, so --device cuda is accepted");
        var (code, _, error) = CliRunner.Run("demo", "--device", "cuda", "--out", Path.Combine(Path.GetTempPath(), "never-written"));
        Assert.That(code, Is.Not.EqualTo(0));
        Assert.That(CliRunner.AssertOneErrorLine(error)[0], Does.Contain("no CUDA device is available"));
    }
}
