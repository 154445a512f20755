using System.CommandLine;
using StyleAlign.Engine.Core;

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
