using System.CommandLine;
using System.Text.Json;
using StyleAlign.Bench.Harness;
using StyleAlign.Cli.Verbs;
using StyleAlign.Engine.Core;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Cli.Verbs.Bench;

/// <summary>
/// <c>engine-cli bench train-step</c>: optimizer steps of a preference objective on a synthetic batch, timed by phase, with
/// throughput, model FLOP/s, MFU and peak memory; the measuring is <see cref="TrainStepBenchmark"/>'s.
/// </summary>
public sealed class TrainStepBench : IBenchSubverb
{
    public Command Build()
    {
        var weights = VerbSupport.Weights(required: false);
        var config = new Option<string?>("--config") { Description = "A Qwen2.5-VL config.json: random weights are made in memory in its torch_dtype, every byte written (no checkpoint needed)" };
        var device = VerbSupport.DeviceOption();
        var dtype = new Option<string?>("--dtype") { Description = "f32 or bf16 weights (default: the config's torch_dtype with --config, f32 with --weights)" };
        var method = new Option<string>("--method") { Description = "sft | dpo | simpo | cwdpo", DefaultValueFactory = _ => "simpo" };
        var pairs = new Option<int>("--batch-pairs") { Description = "Preference pairs per step", DefaultValueFactory = _ => 1 }.AtLeast(1);
        var imageSize = new Option<int>("--image-size") { Description = "Square image side in pixels, one image per pair (28 to 8192: one merged patch at least, the pixel limit at most)", DefaultValueFactory = _ => 448 }.Between(28, 8192);
        var captionTokens = new Option<int>("--caption-tokens") { Description = "Tokens of each caption (then <|im_end|>)", DefaultValueFactory = _ => 32 }.AtLeast(1);
        var full = new Option<bool>("--full") { Description = "Full fine-tuning of the decoder (default: LoRA r 16, α 32, on all seven projections)" };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps; the median is reported", DefaultValueFactory = _ => 1 }.AtLeast(1);
        var checkpoint = CommonOptions.CheckpointActivationsOption();
        var unshared = new Option<bool>("--no-shared-prefix") { Description = "Run every row alone instead of each pair's prompt once (to measure the saving)" };
        var cpuGhz = new Option<double?>("--cpu-ghz") { Description = "Nominal CPU clock for the MFU peak (default: /proc/cpuinfo)" }.Positive();
        var cpuLanes = new Option<int?>("--cpu-fma-lanes") { Description = "fp32 FMAs per core per cycle for the MFU peak (default: widest vector's lanes × 2 pipes)" }.AtLeast(1);
        var json = new Option<bool>("--json") { Description = "Print only the JSON report" };
        var command = new Command("train-step", """
            Time training steps (vision, forward, backward, optimizer) on a synthetic batch and report step time, tokens/s,
            model TFLOP/s, MFU and peak memory. The last line with --json:
              {"step_ms","tokens_per_s","model_tflops","mfu","peak_bytes","phases":{"vision","forward","backward","optimizer"},...}
            step_ms is the median step; tokens_per_s counts the batch's rows' tokens (each row's prompt included); peak_bytes
            is the peak resident memory while the steps ran (weights included). Model FLOPs per step: 6·N·tokens for trained
            parameters, 4·N·tokens for frozen ones the backward passes through, 2·N·tokens for the frozen vision tower, the LM
            head over the target rows only, plus attention (4·H·D per visible query-key pair and layer, ×3 when
            back-propagated). MFU = model FLOP/s ÷ peak; the CPU's peak is cores × FMA lanes × 2 × nominal clock (docs/performance.md).

            Example:
              engine-cli bench train-step --config docs/configs/qwen2.5-vl-3b-instruct.config.json --device cpu --method simpo --batch-pairs 1 --json
            """);
        foreach (var o in new Option[] { weights, config, device, dtype, method, pairs, imageSize, captionTokens, full, steps, checkpoint, unshared, cpuGhz, cpuLanes, json })
            command.Options.Add(o);
        command.SetAction(parse =>
        {
            var source = ModelForwardBench.Source(parse.GetValue(weights), parse.GetValue(config), parse.GetValue(dtype));
            var options = new TrainStepOptions(source, Device.Parse(parse.GetValue(device)!), ParseMethod(parse.GetValue(method)!),
                parse.GetValue(pairs), parse.GetValue(imageSize), parse.GetValue(captionTokens), parse.GetValue(full), parse.GetValue(steps),
                CommonOptions.CheckpointFlag(parse, checkpoint), !parse.GetValue(unshared), parse.GetValue(cpuGhz), parse.GetValue(cpuLanes));
            if (!options.Device.IsCpu) throw new UsageException($"--device {options.Device}: models run on the CPU in this build; CUDA model execution is not wired yet");
            var output = parse.InvocationConfiguration.Output;
            var report = TrainStepBenchmark.Run(options, parse.GetValue(json) ? null : output);
            output.WriteLine(JsonSerializer.Serialize(report));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static TrainingMethod ParseMethod(string value) => value.ToLowerInvariant() switch
    {
        "sft" => TrainingMethod.Sft,
        "dpo" => TrainingMethod.Dpo,
        "simpo" => TrainingMethod.SimPo,
        "cwdpo" => TrainingMethod.CwDpo,
        _ => throw new UsageException($"--method '{value}': expected sft, dpo, simpo or cwdpo"),
    };
}
