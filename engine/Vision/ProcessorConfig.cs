using StyleAlign.Engine.IO.Config;

namespace StyleAlign.Engine.Vision;

/// <summary>What the Qwen and CLIP image processors' configs share.</summary>
internal static class ProcessorConfig
{
    public const string FileName = "preprocessor_config.json";

    /// <summary>Checks the keys both processors read the same way.</summary>
    public static void CheckCommon(ConfigJson json, IReadOnlyList<float> std)
    {
        // Only PIL's bicubic filter (resample = 3) is implemented.
        json.RequireIfPresent(3, "bicubic, the only filter implemented", "resample");
        json.Check(std.All(s => s > 0), $"'image_std' = [{string.Join(", ", std)}] must hold positive numbers");
    }

    public static void ThrowIfMismatched(List<string> problems, string modelConfigPath) =>
        HfConfigException.ThrowIfAny(problems, modelConfigPath, $"the {FileName} beside it does not fit the model");
}
