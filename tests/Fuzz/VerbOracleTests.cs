using NUnit.Framework;

namespace StyleAlign.Tests.Fuzz;

/// <summary>The fuzzer's judge of what a user sees must itself fail on each kind of bad output.</summary>
[TestFixture, Category("Unit")]
public sealed class VerbOracleTests
{
    private static string? Judge(int code, string error, Expect expect = Expect.Refuse, bool? usage = false, params string[] mustName) =>
        VerbOracle.Judge(new VerbOutcome(["verb"], code, "", error), expect, mustName, usage, usage == true ? "--lr" : null);

    [Test]
    public void A_clean_refusal_passes()
    {
        Assert.That(Judge(1, "error: /data/x.jsonl:3: missing field 'id'\n", mustName: "/data/x.jsonl:3"), Is.Null);
        Assert.That(Judge(2, "error: --lr -1: expected a finite number > 0 (see 'engine-cli simpo --help')\n", usage: true, mustName: "--lr"), Is.Null);
        Assert.That(Judge(0, "warning: input 'x' is not used\n", Expect.Accept), Is.Null);
        Assert.That(Judge(1, "error: checkpoint does not match:\n  missing (1): a\n", mustName: "missing (1)"), Is.Null, "detail lines count as part of the error");
    }

    [TestCase(1, "error: boom\n   at StyleAlign.Engine.Foo.Bar() in /x.cs:line 3\n", "stack trace")]
    [TestCase(1, "error: System.InvalidOperationException: boom\n", ".NET exception type")]
    [TestCase(1, "error: Index was outside the bounds of the array.\n", "generic .NET text")]
    [TestCase(1, "error: internal error: x was null\n", "generic .NET text")]
    [TestCase(1, "oops\n", "neither 'error:' nor 'warning:'")]
    [TestCase(1, "error: a\nerror: b\n", "2 error lines")]
    [TestCase(1, "error: /elsewhere: bad\n", "does not name")]
    [TestCase(0, "", "invalid input accepted")]
    [TestCase(2, "error: /data/x.jsonl: bad (see 'engine-cli eval --help')\n", "bad data exits 2")]
    [TestCase(134, "", "exit code 134")]
    public void Each_kind_of_bad_output_fails(int code, string error, string failure)
    {
        Assert.That(Judge(code, error, mustName: "/data/x.jsonl"), Does.Contain(failure));
    }

    [Test]
    public void A_usage_error_must_exit_2_name_the_flag_and_end_with_the_hint()
    {
        Assert.That(Judge(1, "error: --lr -1 is bad\n", usage: true), Does.Contain("exits 1, not 2"));
        Assert.That(Judge(2, "error: --lr -1 is bad\n", usage: true), Does.Contain("without a hint to --help"));
        Assert.That(Judge(2, "error: --beta -1 is bad (see 'engine-cli simpo --help')\n", usage: true), Does.Contain("does not name --lr"));
        Assert.That(Judge(1, "error: /data/x.jsonl: missing\n", Expect.Refuse, usage: null, "/data/x.jsonl"), Is.Null, "either exit code where both are right");
        Assert.That(Judge(1, "error: /data/x.jsonl: missing\n", Expect.Accept), Does.Contain("valid input refused"));
    }
}
