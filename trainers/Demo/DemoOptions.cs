using StyleAlign.Engine.Core;
using StyleAlign.Trainers.Evaluation;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Trainers.Demo;

/// <summary>
/// Settings of the built-in demo. The defaults are sized so the whole job (data, classifier, SFT warm-up, preference
/// training, two evaluations) finishes in a few minutes on two CPU cores with the built-in tiny models.
/// </summary>
public sealed record DemoOptions
{
    public string Style { get; init; } = "humor";
    public TrainingMethod Method { get; init; } = TrainingMethod.SimPo;
    public string OutputDirectory { get; init; } = Path.Combine("runs", "demo");
    public ulong Seed { get; init; } = 1234;

    /// <summary>Images in the synthetic dataset's splits (each image gives one pair per style).</summary>
    public int TrainImages { get; init; } = 160;
    public int ValidationImages { get; init; } = 32;
    public int TestImages { get; init; } = 48;

    /// <summary>Steps of the SFT warm-up on factual captions, and of the preference stage.</summary>
    public int WarmupSteps { get; init; } = 300;
    public int PreferenceSteps { get; init; } = 150;
    public int BatchSize { get; init; } = 8;

    /// <summary>Full fine-tuning peak learning rates for the tiny model (it has 190 k parameters and starts random, so
    /// it needs rates far above the full fine-tuning defaults, which suit 7B-scale models; docs/objectives.md).</summary>
    public double WarmupLearningRate { get; init; } = 3e-3;
    public double PreferenceLearningRate { get; init; } = 1e-3;

    /// <summary>Weight of SimPO's optional SFT term on the stylized caption.</summary>
    public double PreferenceSftWeight { get; init; } = 1.0;

    /// <summary>The style classifier of the judge (see <see cref="StyleClassifierTrainingOptions.ForTinyClip"/>).</summary>
    public StyleClassifierTrainingOptions Classifier { get; init; } = StyleClassifierTrainingOptions.ForTinyClip;

    /// <summary>Generated tokens per caption when measuring Style-Acc.</summary>
    public int MaxNewTokens { get; init; } = 24;

    public bool Quiet { get; init; }
    /// <summary>Where the models run. The demo fine-tunes every decoder weight, so they are f32 master weights on any device.</summary>
    public Device Device { get; init; } = Device.Cpu;
}

/// <summary>What the demo measured (percentages 0–100; CLIPScore on its 0–2.5 scale) and where it wrote its run.</summary>
public sealed record DemoResult(
    double WrLogPBefore,
    double WrLogPAfterWarmup,
    double WrLogPAfter,
    double StyleAccBefore,
    double StyleAccAfter,
    double ClassifierCeiling,
    double Seconds,
    string RunDirectory,
    IReadOnlyList<string> SampleCaptions)
{
    /// <summary>Content of the greedily decoded test captions before and after training.</summary>
    public required ContentSummary ContentBefore { get; init; }

    public required ContentSummary ContentAfter { get; init; }
}
