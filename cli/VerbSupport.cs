using System.CommandLine;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Models;

namespace StyleAlign.Cli;

/// <summary>Options several verbs share.</summary>
public static class VerbSupport
{
    public static Option<string> Weights(bool required = true) => new("--weights")
    {
        Description = "Checkpoint folder (config.json + *.safetensors) or one .safetensors file with config.json beside it",
        Required = required,
    };

    public static Option<string> DeviceOption() => new Option<string>("--device")
    {
        Description = "cpu or cuda:N",
        DefaultValueFactory = _ => "cpu",
    }.Require(IsDevice, "cpu, cuda or cuda:N");

    /// <summary>
    /// Lets data files name images outside their own folder and shard indexes name shards outside the checkpoint
    /// folder (refused by default, docs/input-limits.md).
    /// </summary>
    public const string AllowOutsidePathsFlag = "--allow-outside-paths";

    public static Option<bool> AllowOutsidePaths() => new(AllowOutsidePathsFlag)
    {
        Description = "Let data files name images outside their folder (absolute or ../ paths) and shard indexes name shards outside the checkpoint folder",
    };

    private static bool IsDevice(string? text)
    {
        try
        {
            Device.Parse(text ?? "");
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>Bounds on generated text.</summary>
public static class GenerationLimits
{
    /// <summary>
    /// The most new tokens one request may ask for (docs/input-limits.md): every step keeps a key/value cache entry
    /// per layer, so the limit bounds the memory a flag can claim; a model's max_position_embeddings may bound it
    /// further.
    /// </summary>
    public const int MaxNewTokens = 4096;
}

/// <summary>
/// --device and --dtype, the one definition every verb that runs a model takes: where the model and every tensor
/// of a pass live, and the dtype of the frozen weights (bf16 by default on CUDA, f32 on the CPU).
/// </summary>
public sealed class PlacementOptions
{
    public Option<string> Device { get; } = VerbSupport.DeviceOption();

    public Option<string?> DType { get; } = new("--dtype")
    {
        Description = "bf16 or f32: the frozen weights' dtype (default bf16 on CUDA, f32 on the CPU; LoRA weights and optimizer state are always f32)",
    };

    public Option<bool> Tf32 { get; } = new("--tf32")
    {
        Description = "Let f32 matrix products on CUDA use TF32 tensor cores (inputs rounded to 10 mantissa bits, f32 accumulation); off by default",
    };

    public PlacementOptions(Command command)
    {
        command.Options.Add(Device);
        command.Options.Add(DType);
        command.Options.Add(Tf32);
    }

    /// <summary>The parsed placement; a CUDA device is checked to exist, so a machine without one gets one clear line.</summary>
    public Placement Parse(ParseResult parse)
    {
        Device device;
        try { device = Engine.Core.Device.Parse(parse.GetValue(Device)!); }
        catch (FormatException e) { throw new UsageException($"--device: {e.Message}"); }
        var placement = Placement.On(device);
        placement = parse.GetValue(DType) switch
        {
            null => placement,
            "f32" => placement with { WeightDType = Engine.Core.DType.F32 },
            "bf16" => placement with { WeightDType = Engine.Core.DType.BF16 },
            var other => throw new UsageException($"--dtype {other} is not one of: f32, bf16"),
        };
        // Set on every parse, so one verb's --tf32 never outlives it in a process that runs several.
        CudaGemm.AllowTf32 = parse.GetValue(Tf32);
        if (!device.IsCpu && !CudaContext.IsAvailable)
            throw new UsageException($"--device {device}: no CUDA device is available ({CudaContext.UnavailableReason}); run `engine-cli doctor` for details, or use --device cpu");
        return placement;
    }
}
