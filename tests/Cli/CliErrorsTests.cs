using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Cli;

[TestFixture, Category("Unit")]
public class CliErrorsTests
{
    [TestCase("demo --bogus 1", "--bogus", "engine-cli demo --help")]
    [TestCase("init-random --out x", "--config", "engine-cli init-random --help")]
    [TestCase("dataset synth --out x --train many", "many", "engine-cli dataset synth --help")]
    [TestCase("nonsense", "nonsense", "engine-cli --help")]
    public void A_command_line_that_does_not_parse_is_one_error_line_and_exit_code_2(string line, string named, string hint)
    {
        var (code, output, error) = CliRunner.Run(line.Split(' '));
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        var lines = CliRunner.AssertOneErrorLine(error);
        Assert.That(lines, Has.Length.EqualTo(1), "not the whole help text");
        Assert.That(lines[0], Does.Contain(named).And.Contain($"(see '{hint}')"));
        Assert.That(output, Is.Empty);
    }

    [Test]
    public void Help_still_prints_help()
    {
        var (code, output, error) = CliRunner.Run("sft", "--help");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(output, Does.Contain("--weights"));
        Assert.That(error, Is.Empty);
    }

    [Test]
    public void Bad_data_is_one_line_naming_the_file_with_exit_code_1_and_the_trace_only_with_verbose()
    {
        using var dir = new TempDirectory();
        var missing = dir.File("no-such-model");
        var (code, _, error) = CliRunner.Run("inspect", "--weights", missing);
        Assert.That(code, Is.EqualTo(ExitCodes.Failure));
        var lines = CliRunner.AssertOneErrorLine(error);
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.Contain("no-such-model"));

        (code, _, error) = CliRunner.Run("inspect", "--weights", missing, "--verbose");
        Assert.That(code, Is.EqualTo(ExitCodes.Failure));
        Assert.That(error.Split('\n')[0], Is.EqualTo(lines[0]));
        Assert.That(error, Does.Contain(" at "), "--verbose adds the stack trace");
        Assert.That(error.Replace("\r", "").Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1), Has.All.Match("^\\s"));
    }

    [TestCase("sweep --weights w --data d --method ppo", "--method 'ppo'")]
    [TestCase("sft --weights w --data d --scheduler steps", "--scheduler 'steps'")]
    [TestCase("sft --weights w --data d --train-vision", "--train-vision needs --full")]
    [TestCase("dpo --weights w --data d --loss-type hinge", "--loss-type 'hinge'")]
    [TestCase("cwdpo --weights w --data d --stage 3", "--stage '3'")]
    [TestCase("kernels --compile-all --arch sm_1", "sm_1")]
    [TestCase("dataset synth --out {dir} --size 4", "--size 4")]
    [TestCase("init-random --config c --out {dir} --dtype f16", "--dtype f16")]
    public void Flags_that_make_no_sense_are_usage_errors(string line, string named)
    {
        using var dir = new TempDirectory();
        var (code, _, error) = CliRunner.Run(line.Replace("{dir}", dir.File("out")).Split(' '));
        Assert.That(code, Is.EqualTo(ExitCodes.Usage), error);
        var lines = CliRunner.AssertOneErrorLine(error);
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.Contain(named));
    }

    [Test]
    public void What_dotnet_appends_to_an_exception_message_is_dropped()
    {
        var range = new ArgumentOutOfRangeException("beta", -1.0, "beta -1 must be positive");
        Assert.That(CliErrors.Describe(range), Is.EqualTo("beta -1 must be positive"));
        Assert.That(CliErrors.Describe(new ArgumentException("no examples", "path")), Is.EqualTo("no examples"));
        Assert.That(CliErrors.Describe(new ObjectDisposedException("tensor [2]", "the tensor was disposed")), Is.EqualTo("the tensor was disposed"));
        Assert.That(CliErrors.Describe(new OutOfMemoryException()), Does.StartWith("out of memory:"));
        Assert.That(CliErrors.Describe(new NullReferenceException()), Does.StartWith("internal error:").And.Contain("--verbose"));
        Assert.That(CliErrors.Describe(new ArgumentNullException("text")), Is.EqualTo("internal error: 'text' was null (run with --verbose for the stack trace)"));
    }

    [Test]
    public void A_multi_line_message_keeps_its_detail_lines_indented_under_the_error_line()
    {
        var error = new StringWriter();
        var code = CliErrors.Report(new InvalidDataException("checkpoint 'x' does not match the model:\n  missing (1): a\nunexpected (1): b"), error, verbose: false);
        Assert.That(code, Is.EqualTo(ExitCodes.Failure));
        Assert.That(error.ToString().Replace("\r", "").TrimEnd().Split('\n'),
            Is.EqualTo(new[] { "error: checkpoint 'x' does not match the model:", "  missing (1): a", "  unexpected (1): b" }));
        Assert.That(CliErrors.Report(new AggregateException(new UsageException("--x is wrong")), new StringWriter(), verbose: false), Is.EqualTo(ExitCodes.Usage));
    }
}
