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

    internal static Qwen25VLVisionConfig Read(ConfigJson json)
    {
        static string Key(string key) => $"vision_config.{key}";

        var config = new Qwen25VLVisionConfig
        {
            Depth = json.Int(Key("depth")),
            HiddenSize = json.Int(Key("hidden_size")),
            NumHeads = json.Int(Key("num_heads")),
            IntermediateSize = json.Int(Key("intermediate_size")),
            HiddenAct = json.String(Key("hidden_act")),
            PatchSize = json.Int(Key("patch_size"), Key("spatial_patch_size")),
            TemporalPatchSize = json.Int(Key("temporal_patch_size")),
            SpatialMergeSize = json.Int(Key("spatial_merge_size")),
            WindowSize = json.Int(Key("window_size")),
            FullattBlockIndexes = json.IntArray(Key("fullatt_block_indexes")),
            OutHiddenSize = json.Int(Key("out_hidden_size")),
            InChans = json.Int(Key("in_chans"), Key("in_channels")),
            TokensPerSecond = json.Int(Key("tokens_per_second")),
        };

        json.Check(config.NumHeads > 0 && config.HiddenSize % config.NumHeads == 0,
            $"vision_config.hidden_size {config.HiddenSize} must be a positive multiple of vision_config.num_heads {config.NumHeads}");
        json.Check(config.FullattBlockIndexes.All(index => index >= 0 && index < config.Depth),
            $"vision_config.fullatt_block_indexes [{string.Join(", ", config.FullattBlockIndexes)}] must lie in [0, depth {config.Depth})");
        return config;
    }
}
