namespace StyleAlign.Trainers.Data;

/// <summary>Size and seed of a synthetic style dataset. The defaults suit the CPU demo.</summary>
public sealed record SyntheticOptions
{
    public int TrainCount { get; init; } = 160;
    public int ValidationCount { get; init; } = 32;
    public int TestCount { get; init; } = 48;

    /// <summary>Side of the square images in pixels.</summary>
    public int ImageSize { get; init; } = 64;

    public ulong Seed { get; init; } = 1234;

    /// <summary>Styles to write, a subset of <see cref="SyntheticCaptions.Styles"/>.</summary>
    public IReadOnlyList<string> Styles { get; init; } = SyntheticCaptions.Styles;

    public int TotalImages => TrainCount + ValidationCount + TestCount;

    public void Validate()
    {
        if (TrainCount < 1) throw new ArgumentOutOfRangeException(nameof(TrainCount), $"TrainCount {TrainCount}: need at least one training image");
        if (ValidationCount < 0) throw new ArgumentOutOfRangeException(nameof(ValidationCount), $"ValidationCount {ValidationCount} must not be negative");
        if (TestCount < 0) throw new ArgumentOutOfRangeException(nameof(TestCount), $"TestCount {TestCount} must not be negative");
        if (ImageSize is < 16 or > 1024) throw new ArgumentOutOfRangeException(nameof(ImageSize), $"ImageSize {ImageSize} px: expected 16..1024 px");
        if (Styles.Count == 0) throw new ArgumentException("at least one style is required", nameof(Styles));
        foreach (string style in Styles)
        {
            if (!SyntheticCaptions.Styles.Contains(style))
                throw new ArgumentException(
                    $"unknown style '{style}'; the synthetic dataset knows: {string.Join(", ", SyntheticCaptions.Styles)}", nameof(Styles));
        }
        if (Styles.Distinct().Count() != Styles.Count) throw new ArgumentException("styles must not repeat", nameof(Styles));
    }
}

public static class DataSplits
{
    public const string Train = "train";
    public const string Validation = "validation";
    public const string Test = "test";

    public static IReadOnlyList<string> All { get; } = [Train, Validation, Test];
}

/// <summary>One generated picture with its captions.</summary>
public sealed record SyntheticItem(
    string Id,
    string Split,
    SyntheticScene Scene,
    string Factual,
    IReadOnlyDictionary<string, string> Stylized)
{
    /// <summary>Image path relative to the dataset folder, with forward slashes.</summary>
    public string ImagePath => $"images/{Id}.png";
}

/// <summary>What <see cref="SyntheticStyleDataset.Generate"/> wrote.</summary>
public sealed record SyntheticSummary(
    string OutputDirectory,
    int TrainImages,
    int ValidationImages,
    int TestImages,
    int ImageSize,
    ulong Seed,
    IReadOnlyList<string> Styles,
    IReadOnlyDictionary<string, int> PairsPerSplit)
{
    public int TotalImages => TrainImages + ValidationImages + TestImages;

    public int TotalPairs => PairsPerSplit.Values.Sum();
}
