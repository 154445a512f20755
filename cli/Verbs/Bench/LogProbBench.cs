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
        var tokens = new Option<int>("--tokens") { Description = "rows N (completion target tokens)", DefaultValueFactory = _ => 2048 };
        var hidden = new Option<int>("--hidden") { Description = "hidden size d", DefaultValueFactory = _ => 256 };
        var vocab = new Option<int>("--vocab") { Description = "vocabulary size V", DefaultValueFactory = _ => 151936 };
        var chunkRows = new Option<int?>("--chunk-rows") { Description = "rows per chunk (default: the device's budget)" };
        var skipMemory = new Option<bool>("--skip-memory") { Description = "time only; skip the memory-sampling runs" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var command = new Command("logprob", "Fused token log-probs vs full logits + log_softmax + gather, forward and backward.");
        foreach (var o in new Option[] { device, tokens, hidden, vocab, chunkRows, skipMemory, json }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var options = new LogProbBenchOptions(Device.Parse(parse.GetValue(device)!), parse.GetValue(tokens), parse.GetValue(hidden), parse.GetValue(vocab), parse.GetValue(chunkRows), parse.GetValue(skipMemory));
            if (options.Tokens <= 0 || options.Hidden <= 0 || options.Vocab <= 0)
            {
                Console.Error.WriteLine("bench logprob: --tokens, --hidden and --vocab must be positive");
                return 2;
            }
            if (!options.Device.IsCpu)
            {
                try
                {
                    Backends.For<IFusedLogProbs>(options.Device);
                    Backends.For(options.Device);
                }
                catch (InvalidOperationException e)
                {
                    Console.Error.WriteLine($"bench logprob: {e.Message}");
                    return 2;
                }
            }
            var report = LogProbBenchmark.Run(options);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report));
            else foreach (var (key, value) in report) Console.WriteLine($"{key,-26} {value}");
            return 0;
        });
        return command;
    }
}
