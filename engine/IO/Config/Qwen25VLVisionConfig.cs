using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.IO.Config;

/// <summary>The Qwen2.5-VL vision tower's <c>vision_config</c> values.</summary>
public sealed record Qwen25VLVisionConfig
{
    public required int Depth { get; init; }
    public required int HiddenSize { get; init; }
    public required int NumHeads { get; init; }
    public required int IntermediateSize { get; init; }
    public required string HiddenAct { get; init; }
    public required int PatchSize { get; init; }
    public required int TemporalPatchSize { get; init; }
    public required int SpatialMergeSize { get; init; }

    /// <summary>Attention window side in pixels.</summary>
    public required int WindowSize { get; init; }

    /// <summary>Blocks that attend over the whole image instead of within windows.</summary>
    public required int[] FullattBlockIndexes { get; init; }

    public required int OutHiddenSize { get; init; }

    /// <summary>JSON key <c>in_chans</c> in hub files, <c>in_channels</c> in newer saves.</summary>
    public required int InChans { get; init; }

    public required int TokensPerSecond { get; init; }

    public int HeadDim => HiddenSize / NumHeads;

    public bool Equals(Qwen25VLVisionConfig? other) =>
        other is not null
        && Depth == other.Depth && HiddenSize == other.HiddenSize && NumHeads == other.NumHeads
        && IntermediateSize == other.IntermediateSize && HiddenAct == other.HiddenAct && PatchSize == other.PatchSize
        && TemporalPatchSize == other.TemporalPatchSize && SpatialMergeSize == other.SpatialMergeSize
        && WindowSize == other.WindowSize && FullattBlockIndexes.AsSpan().SequenceEqual(other.FullattBlockIndexes)
        && OutHiddenSize == other.OutHiddenSize && InChans == other.InChans && TokensPerSecond == other.TokensPerSecond;

    public override int GetHashCode() => HashCode.Combine(Depth, HiddenSize, NumHeads, IntermediateSize, PatchSize, OutHiddenSize);

    /// <summary>The function of the MLP's gate (<c>hidden_act</c>); the patch merger's GELU is fixed.</summary>
    public UnaryKind Activation() => HfActivation.Kind(HiddenAct);

    internal static Qwen25VLVisionConfig Read(ConfigJson json)
    {
        static string Key(string key) => $"vision_config.{key}";

        var config = new Qwen25VLVisionConfig
        {
            Depth = json.Int(1, ConfigLimits.MaxLayers, Key("depth")),
            HiddenSize = json.Int(1, ConfigLimits.MaxHiddenSize, Key("hidden_size")),
            NumHeads = json.Int(1, ConfigLimits.MaxHeads, Key("num_heads")),
            IntermediateSize = json.Int(1, ConfigLimits.MaxIntermediateSize, Key("intermediate_size")),
            HiddenAct = json.Activation(Key("hidden_act")),
            PatchSize = json.Int(1, ConfigLimits.MaxPatchSize, Key("patch_size"), Key("spatial_patch_size")),
            TemporalPatchSize = json.Int(1, ConfigLimits.MaxTemporalPatchSize, Key("temporal_patch_size")),
            SpatialMergeSize = json.Int(1, ConfigLimits.MaxSpatialMergeSize, Key("spatial_merge_size")),
            WindowSize = json.Int(1, ConfigLimits.MaxImageSide, Key("window_size")),
            FullattBlockIndexes = json.IntArray(0, ConfigLimits.MaxLayers - 1, Key("fullatt_block_indexes")),
            OutHiddenSize = json.Int(1, ConfigLimits.MaxHiddenSize, Key("out_hidden_size")),
            InChans = json.Int(ConfigLimits.ImageChannels, ConfigLimits.ImageChannels, Key("in_chans"), Key("in_channels")),
            TokensPerSecond = json.Int(1, ConfigLimits.MaxTokensPerSecond, Key("tokens_per_second")),
        };

        if (config.NumHeads > 0 && config.HiddenSize > 0)
            json.Check(config.HiddenSize % config.NumHeads == 0 && config.HiddenSize / config.NumHeads % 4 == 0,
                $"'vision_config.hidden_size' = {config.HiddenSize} must be a multiple of 4 × 'vision_config.num_heads' = {4 * config.NumHeads} (the 2-D rotary splits each head in four)");
        if (config.Depth > 0)
            json.Check(config.FullattBlockIndexes.All(index => index < config.Depth),
                $"'vision_config.fullatt_block_indexes' = [{string.Join(", ", config.FullattBlockIndexes)}] must lie in [0, depth = {config.Depth})");
        int unit = config.PatchSize * config.SpatialMergeSize;
        if (unit > 0 && config.WindowSize > 0)
            json.Check(config.WindowSize % unit == 0,
                $"'vision_config.window_size' = {config.WindowSize} must be a multiple of patch_size × spatial_merge_size = {unit}");
        return config;
    }
}
