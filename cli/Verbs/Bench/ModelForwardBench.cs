using System.CommandLine;
using System.Text.Json;
using StyleAlign.Bench.Harness;
using StyleAlign.Engine.Core;

namespace StyleAlign.Cli.Verbs.Bench;

/// <summary>
/// engine-cli bench model-forward --weights DIR | --config CONFIG.json [--image-size 448]: one forward pass of a
/// Qwen2.5-VL on a synthetic image plus a short prompt on the CPU, with load time, forward time and the process's peak
/// resident memory; the measuring is <see cref="ModelForwardBenchmark"/>'s.
/// </summary>
public sealed class ModelForwardBench : IBenchSubverb
{
    public Command Build()
    {
        var weights = VerbSupport.Weights(required: false);
        var config = new Option<string?>("--config") { Description = "A Qwen2.5-VL config.json: random weights are made in memory in its torch_dtype, every byte written" };
        var dtype = new Option<string?>("--dtype") { Description = "f32 or bf16 weights (default: the config's torch_dtype with --config, f32 with --weights)" };
        var size = new Option<int>("--image-size") { Description = "Square image side in pixels", DefaultValueFactory = _ => 448 }.Between(1, 8192);
        var text = new Option<int>("--text-tokens") { Description = "Ordinary tokens around the image", DefaultValueFactory = _ => 32 }.AtLeast(0);
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("model-forward", "Time one CPU forward pass of a Qwen2.5-VL (a checkpoint, or random weights from a config) on one image.\n\nExample:\n  engine-cli bench model-forward --config docs/configs/qwen2.5-vl-3b-instruct.config.json --image-size 448 --json");
        foreach (var o in new Option[] { weights, config, dtype, size, text, json }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var source = Source(parse.GetValue(weights), parse.GetValue(config), parse.GetValue(dtype));
            var result = ModelForwardBenchmark.Run(source, parse.GetValue(size), parse.GetValue(text));
            Console.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(result)
                : string.Join(Environment.NewLine, result.Select(kv => $"{kv.Key,-16} {kv.Value}")));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The model of a benchmark from --weights or --config (exactly one) and --dtype.</summary>
    internal static BenchModelSource Source(string? weights, string? config, string? dtype)
    {
        if ((weights is null) == (config is null)) throw new UsageException("give exactly one of --weights DIR and --config CONFIG.json");
        DType? held = dtype switch
        {
            null => null,
            "f32" => DType.F32,
            "bf16" => DType.BF16,
            _ => throw new UsageException($"--dtype {dtype} is not one of: f32, bf16"),
        };
        return new BenchModelSource(weights, config, held);
    }
}
