namespace StyleAlign.Engine.IO.Config;

/// <summary>
/// The bounds a config value must lie in before anything is sized from it. They sit well above every released
/// model (the largest have ~130 layers, hidden sizes of 16 384, vocabularies of ~260 000) and far below what
/// would overflow the engine's arithmetic; whether a model within them fits in memory is checked separately.
/// docs/input-limits.md lists them.
/// </summary>
public static class ConfigLimits
{
    public const int MaxLayers = 1024;
    public const int MaxHiddenSize = 65_536;
    public const int MaxHeads = 4096;
    public const int MaxIntermediateSize = 1 << 20;
    public const int MaxVocabSize = 1 << 22;
    public const int MaxPositionEmbeddings = 1 << 24;
    public const int MaxPatchSize = 256;
    public const int MaxTemporalPatchSize = 16;
    public const int MaxSpatialMergeSize = 16;

    /// <summary>Pixels per side of an attention window, an image size or a crop.</summary>
    public const int MaxImageSide = 1 << 16;

    public const int MaxTokensPerSecond = 1 << 16;

    /// <summary>Only RGB input exists: the image processors always produce three channels.</summary>
    public const int ImageChannels = 3;
}
