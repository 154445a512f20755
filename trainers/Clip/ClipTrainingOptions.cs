namespace StyleAlign.Trainers.Clip;

/// <summary>Which reference captions of an image take part in contrastive training.</summary>
public enum ClipCaptionSelection
{
    /// <summary>The factual and every stylized caption.</summary>
    All,
    Factual,
    Stylized,
}

/// <summary>Hyper-parameters of contrastive CLIP fine-tuning. The defaults suit the built-in tiny CLIP on the synthetic data.</summary>
public sealed record ClipTrainingOptions
{
    public int Epochs { get; init; } = 30;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 2e-3;
    public double WeightDecay { get; init; } = 0.1;

    /// <summary>Fraction of the steps spent warming the learning rate up linearly; a cosine decay follows.</summary>
    public double WarmupRatio { get; init; } = 0.1;

    /// <summary>Keeps the vision tower and its projection as they are; only the text side and the temperature learn.</summary>
    public bool FreezeVision { get; init; }

    public ClipCaptionSelection Captions { get; init; } = ClipCaptionSelection.All;

    public ulong Seed { get; init; } = 1234;

    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "need at least one epoch");
        if (BatchSize < 2) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "a contrastive batch needs at least two images");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be a positive number");
        if (WeightDecay < 0) throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "must not be negative");
        if (WarmupRatio is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(WarmupRatio), WarmupRatio, "must lie in [0, 1)");
    }
}
