using StyleAlign.Engine.Nn;

namespace StyleAlign.Trainers.Training;

/// <summary>
/// Loop settings. Defaults suit LoRA on a small VLM: lr 1e-4 with warmup 10 % and cosine decay, clip 1.0, no weight
/// decay (TRL's TrainingArguments default), batches of 4 pairs.
/// </summary>
public sealed record TrainerOptions
{
    public string OutputDirectory { get; init; } = "run";
    /// <summary>Optimizer steps; 0 derives them from <see cref="Epochs"/>.</summary>
    public int MaxSteps { get; init; }
    public double Epochs { get; init; } = 1;
    /// <summary>Examples (pairs) per micro-batch.</summary>
    public int BatchSize { get; init; } = 4;
    public int GradientAccumulation { get; init; } = 1;
    public double LearningRate { get; init; } = 1e-4;
    public double WarmupRatio { get; init; } = 0.1;
    public LearningRateDecay Decay { get; init; } = LearningRateDecay.Cosine;
    public double MinLearningRate { get; init; }
    public double WeightDecay { get; init; }
    /// <summary>Global gradient-norm clip; 0 disables clipping.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Checkpoint every N steps (0: only at the end).</summary>
    public int SaveEvery { get; init; }
    /// <summary>Evaluate every N steps (0: only before and after).</summary>
    public int EvalEvery { get; init; }
    public int EvalBatchSize { get; init; } = 8;
    /// <summary>At most this many evaluation pairs (the probe set).</summary>
    public int MaxEvalPairs { get; init; } = 256;
    public ulong Seed { get; init; } = 42;
    public bool Resume { get; init; }
    public bool Quiet { get; init; }
    /// <summary>Ends this process's run after this many steps, as an interruption would (the run stays resumable).</summary>
    public int? StopAfterSteps { get; init; }
    public OnPolicyOptions? OnPolicy { get; init; }
    public EarlyStopOptions? EarlyStop { get; init; }
    public bool WritePlot { get; init; } = true;
    /// <summary>
    /// Activation checkpointing per decoder layer; null decides from the estimated step memory against the memory
    /// available (<see cref="TrainingMemory"/>), and the run's output says which was chosen and why.
    /// </summary>
    public bool? CheckpointActivations { get; init; }
    public TextWriter? Log { get; init; }

    /// <summary>Receives warnings (a damaged checkpoint passed over, leftovers of an interrupted run cleared); null
    /// writes them to <see cref="Log"/> as "warning: …" lines.</summary>
    public Action<string>? Warn { get; init; }

    /// <summary>Called after every optimizer step with (step, total steps, loss): drives progress displays.</summary>
    public Action<int, int, double>? Progress { get; init; }
}

/// <summary>
/// Mixed negatives for CW-DPO (a PROPOSAL, docs/objectives.md, "Mixed negatives"): each example's negative is its dataset negative with
/// probability ρ, otherwise a sample of the policy, refreshed every K steps (0: once per epoch).
/// </summary>
public sealed record OnPolicyOptions
{
    public double DatasetFraction { get; init; } = 0.3;
    public int RefreshEvery { get; init; }
    public double Temperature { get; init; } = 1.0;
    public double TopP { get; init; } = 0.9;
    /// <summary>0: twice the chosen caption's token count.</summary>
    public int MaxNewTokens { get; init; }
}

/// <summary>What a run produced.</summary>
public sealed record TrainingResult(
    int Steps,
    double FinalLoss,
    double? EvalWinRateBefore,
    double? EvalWinRateAfter,
    double Seconds,
    string RunDirectory,
    string? StopReason);

/// <summary>A loss that is NaN or infinite: the run stops and names the step and the examples.</summary>
public sealed class TrainingDivergedException(int step, double loss, IReadOnlyList<string> exampleIds)
    : Exception($"loss is {loss} at step {step} (examples: {string.Join(", ", exampleIds)}); the run stopped")
{
    public int Step { get; } = step;
    public IReadOnlyList<string> ExampleIds { get; } = exampleIds;
}
