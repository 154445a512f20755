using System.CommandLine;
using System.Text.Json;
using StyleAlign.Bench.Harness;

namespace StyleAlign.Cli.Verbs.Bench;

/// <summary>
/// engine-cli bench model-forward --weights DIR [--image-size 448]: loads a Qwen2.5-VL checkpoint, runs one
/// forward pass on a synthetic image plus a short prompt on the CPU, and reports load time, forward time and
/// the process's peak resident memory; the measuring is <see cref="ModelForwardBenchmark"/>'s.
/// </summary>
public sealed class ModelForwardBench : IBenchSubverb
{
    public Command Build()
    {
        var weights = VerbSupport.Weights();
        var size = new Option<int>("--image-size") { Description = "Square image side in pixels", DefaultValueFactory = _ => 448 }.Between(1, 8192);
        var text = new Option<int>("--text-tokens") { Description = "Ordinary tokens around the image", DefaultValueFactory = _ => 32 }.AtLeast(0);
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("model-forward", "Load a Qwen2.5-VL checkpoint and time one CPU forward pass on one image.\n\nExample:\n  engine-cli init-random --config docs/configs/qwen2.5-vl-3b-instruct.config.json --out /tmp/q3b\n  engine-cli bench model-forward --weights /tmp/q3b --image-size 448 --json");
        foreach (var o in new Option[] { weights, size, text, json }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var result = ModelForwardBenchmark.Run(parse.GetValue(weights)!, parse.GetValue(size), parse.GetValue(text));
            Console.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(result)
                : string.Join(Environment.NewLine, result.Select(kv => $"{kv.Key,-16} {kv.Value}")));
            return ExitCodes.Ok;
        });
        return command;
    }
}
