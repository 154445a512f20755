using System.CommandLine;
using System.Text.Json;
using StyleAlign.Bench.Harness;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.LogProbs;

namespace StyleAlign.Cli.Verbs.Bench;

/// <summary>
/// <c>engine-cli bench logprob</c>: forward + backward of the fused token log-probs against the full-logits path
/// (logits, log_softmax, gather), timing and peak extra memory of each; the measuring is <see cref="LogProbBenchmark"/>'s.
/// </summary>
public sealed class LogProbBench : IBenchSubverb
{
    public Command Build()
    {
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N]", DefaultValueFactory = _ => "cpu" };
        var tokens = new Option<int>("--tokens") { Description = "rows N (completion target tokens)", DefaultValueFactory = _ => 2048 }.AtLeast(1);
        var hidden = new Option<int>("--hidden") { Description = "hidden size d", DefaultValueFactory = _ => 256 }.AtLeast(1);
        var vocab = new Option<int>("--vocab") { Description = "vocabulary size V", DefaultValueFactory = _ => 151936 }.AtLeast(1);
        var chunkRows = new Option<int?>("--chunk-rows") { Description = "rows per chunk (default: the device's budget)" }.AtLeast(1);
        var skipMemory = new Option<bool>("--skip-memory") { Description = "time only; skip the memory-sampling runs" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var command = new Command("logprob", "Fused token log-probs vs full logits + log_softmax + gather, forward and backward.");
        foreach (var o in new Option[] { device, tokens, hidden, vocab, chunkRows, skipMemory, json }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var dev = BenchDevices.Require<IFusedLogProbs>(parse.GetValue(device)!);
            var options = new LogProbBenchOptions(dev, parse.GetValue(tokens), parse.GetValue(hidden), parse.GetValue(vocab), parse.GetValue(chunkRows), parse.GetValue(skipMemory));
            var report = LogProbBenchmark.Run(options);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report));
            else foreach (var (key, value) in report) Console.WriteLine($"{key,-26} {value}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
