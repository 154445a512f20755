using System.CommandLine;
using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Cli;

/// <summary>Every numeric flag is range-checked by the parser; every usage error is one line ending with a hint to --help.</summary>
[TestFixture, Category("Unit")]
public sealed class FlagRangeTests
{
    [Test]
    public void Every_numeric_flag_of_every_verb_carries_a_range_check()
    {
        var unchecked_ = new List<string>();
        void Walk(Command command, string path)
        {
            foreach (var option in command.Options)
                if (Fuzz.CommandLineFuzz.IsNumeric(option.ValueType) && OptionRanges.RangeOf(option) is null) unchecked_.Add($"{path} {option.Name}");
            foreach (var sub in command.Subcommands) Walk(sub, $"{path} {sub.Name}".Trim());
        }
        Walk(CliApp.BuildRoot(), "");
        Assert.That(unchecked_, Is.Empty, "numeric flags without a range");
    }

    [TestCase("simpo --batch-size 0", "--batch-size 0")]
    [TestCase("simpo --lora-rank 0", "--lora-rank 0")]
    [TestCase("dpo --beta 0", "--beta 0")]
    [TestCase("simpo --lr -1", "--lr -1")]
    [TestCase("sft --warmup-ratio 2", "--warmup-ratio 2")]
    [TestCase("simpo --max-grad-norm nan", "--max-grad-norm nan")]
    [TestCase("cwdpo --epochs -1", "--epochs -1")]
    [TestCase("sft --max-steps -1", "--max-steps -1")]
    [TestCase("simpo --lora-dropout nan", "--lora-dropout nan")]
    [TestCase("simpo --lr 1e400", "--lr 1e400")]
    [TestCase("sweep --grad-accum 0", "--grad-accum 0")]
    [TestCase("cwdpo --sample-top-p 0", "--sample-top-p 0")]
    [TestCase("generate --image x.png --temperature nan", "--temperature nan")]
    [TestCase("generate --image x.png --max-new-tokens 100000", "--max-new-tokens 100000")]
    [TestCase("eval --data d --limit -3", "--limit -3")]
    [TestCase("classifier train --clip c --data d --style humor --out o --layers 7", "--layers 7")]
    [TestCase("bench gemm --repeat 0", "--repeat 0")]
    [TestCase("bench attention --seq -4", "--seq -4")]
    [TestCase("simpo --lr 1,5", "--lr 1,5")]
    [TestCase("bench train-step --batch-pairs 0", "--batch-pairs 0")]
    [TestCase("bench train-step --image-size 27", "--image-size 27")]
    [TestCase("bench train-step --image-size 8193", "--image-size 8193")]
    [TestCase("bench train-step --caption-tokens 0", "--caption-tokens 0")]
    [TestCase("bench train-step --steps 0", "--steps 0")]
    [TestCase("bench train-step --cpu-ghz -1e400", "--cpu-ghz -1e400")]
    [TestCase("bench train-step --cpu-ghz 0", "--cpu-ghz 0")]
    [TestCase("bench train-step --cpu-fma-lanes 0", "--cpu-fma-lanes 0")]
    public void A_flag_out_of_its_range_is_one_usage_line_naming_it(string line, string named)
    {
        var args = line.Split(' ').ToList();
        if (args.Contains("--batch-size") || args[0] is "simpo" or "dpo" or "sft" or "cwdpo" or "sweep") args.InsertRange(1, ["--weights", "w", "--data", "d"]);
        if (args[0] == "generate" || args[0] == "eval") args.InsertRange(1, ["--weights", "w"]);
        var (code, output, error) = CliRunner.Run([.. args]);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage), error);
        var lines = CliRunner.AssertOneErrorLine(error);
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.Contain(named).And.EndWith($" --help')"));
        Assert.That(output, Is.Empty);
    }

    [TestCase("generate --weights w --image x.png --no-such-flag 1", "--no-such-flag", "engine-cli generate --help")]
    [TestCase("dataset synth --out d --style humor --bogus", "--bogus", "engine-cli dataset synth --help")]
    public void An_unknown_flag_after_a_several_valued_option_is_not_taken_as_its_value(string line, string flag, string help)
    {
        var (code, _, error) = CliRunner.Run(line.Split(' '));
        Assert.That(code, Is.EqualTo(ExitCodes.Usage), error);
        var lines = CliRunner.AssertOneErrorLine(error);
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.Contain($"'{flag}'").And.EndWith($"(see '{help}')"));
    }

    [Test]
    public void The_parser_names_the_kind_of_value_a_flag_takes_in_plain_words()
    {
        var (code, _, error) = CliRunner.Run("simpo", "--weights", "w", "--data", "d", "--beta", "abc");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage));
        Assert.That(error, Does.Contain("'abc'").And.Contain("as a number").And.Not.Contain("System."));
    }

    [TestCase("sft --weights w --data d --scheduler steps", "engine-cli sft --help")]
    [TestCase("bench gemm --shape 1,2", "engine-cli bench gemm --help")]
    [TestCase("bench gemm --device gpu", "engine-cli bench gemm --help")]
    [TestCase("bench logprob --device tpu", "engine-cli bench logprob --help")]
    [TestCase("forward --weights w --inputs i --out o --device gpu", "engine-cli forward --help")]
    public void A_usage_error_a_verb_finds_ends_with_the_hint_to_its_help(string line, string help)
    {
        var (code, _, error) = CliRunner.Run(line.Split(' '));
        Assert.That(code, Is.EqualTo(ExitCodes.Usage), error);
        var lines = CliRunner.AssertOneErrorLine(error);
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.EndWith($"(see '{help}')"));
        Assert.That(lines[0], Does.Not.StartWith("error: bench"), "bench verbs report through the one error path");
    }

    [Test]
    public void Generate_refuses_more_new_tokens_than_the_model_has_positions_left()
    {
        using var temp = new TempDirectory();
        var model = Training.TinyTraining.WriteModelFolder(temp.File("model"));
        var image = Compare.FixturePath("qwen25vl_tiny", "processor", "img84x112.png");
        var (code, _, error) = CliRunner.Run("generate", "--weights", model, "--image", image, "--max-new-tokens", "4096");
        Assert.That(code, Is.EqualTo(ExitCodes.Usage), error);
        var line = CliRunner.AssertOneErrorLine(error)[0];
        Assert.That(line, Does.Contain("--max-new-tokens 4096").And.Contain("max_position_embeddings is 2048").And.Contain("img84x112.png"));
    }
}
