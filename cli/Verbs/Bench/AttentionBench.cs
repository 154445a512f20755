using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using StyleAlign.Bench.Harness;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;

namespace StyleAlign.Cli;

/// <summary>
/// <c>engine-cli bench attention</c>: forward+backward of fused attention against the eager reference
/// (MatMul → Softmax → MatMul with a materialized mask), with time, memory, throughput and the largest
/// difference between the two; the measuring is <see cref="AttentionBenchmark"/>'s.
/// </summary>
public sealed class AttentionBench : IBenchSubverb
{
    public Command Build()
    {
        var device = new Option<string>("--device") { Description = "cpu or cuda", DefaultValueFactory = _ => "cpu" };
        var seq = new Option<int>("--seq") { Description = "T, tokens in the packed sequence", DefaultValueFactory = _ => 1024 }.AtLeast(1);
        var heads = new Option<int>("--heads") { Description = "query heads", DefaultValueFactory = _ => 4 }.AtLeast(1);
        var kvHeads = new Option<int?>("--kv-heads") { Description = "key/value heads (default: --heads)" }.AtLeast(1);
        var headDim = new Option<int>("--head-dim") { Description = "D", DefaultValueFactory = _ => 64 }.AtLeast(1);
        var causal = new Option<bool>("--causal") { Description = "causal mask" };
        var window = new Option<int>("--window") { Description = "split the sequence into segments of W tokens (0: one segment)", DefaultValueFactory = _ => 0 }.AtLeast(0);
        var repeat = new Option<int>("--repeat") { Description = "timed runs of each; the best is reported", DefaultValueFactory = _ => 1 }.AtLeast(1);
        var skipComposite = new Option<bool>("--skip-composite") { Description = "time only the fused op (the composite needs O(T²) memory)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var command = new Command("attention", "Time fused attention (forward+backward) against the composite reference.");
        foreach (var option in new Option[] { device, seq, heads, kvHeads, headDim, causal, window, repeat, skipComposite, json }) command.Options.Add(option);
        command.SetAction(parse =>
        {
            var settings = new Settings(parse.GetValue(device) ?? "cpu", parse.GetValue(seq), parse.GetValue(heads), parse.GetValue(kvHeads) ?? parse.GetValue(heads),
                parse.GetValue(headDim), parse.GetValue(causal), parse.GetValue(window), parse.GetValue(repeat), parse.GetValue(skipComposite));
            return Run(settings, parse.GetValue(json));
        });
        return command;
    }

    private sealed record Settings(string Device, int Tokens, int Heads, int KvHeads, int HeadDim, bool Causal, int Window, int Repeat, bool SkipComposite);

    private static int Run(Settings s, bool json)
    {
        var device = BenchDevices.Require<IFusedAttention>(s.Device);
        var settings = new AttentionBenchSettings(device, s.Tokens, s.Heads, s.KvHeads, s.HeadDim, s.Causal, s.Window, s.Repeat, s.SkipComposite);
        Dictionary<string, object?> report = null!;
        CliErrors.AsUsage(() => report = AttentionBenchmark.Run(settings));
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(report));
            return ExitCodes.Ok;
        }
        foreach (var (key, value) in report) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key,-30} {value}"));
        return ExitCodes.Ok;
    }
}
