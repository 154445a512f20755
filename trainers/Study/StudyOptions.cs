using System.Globalization;
using StyleAlign.Trainers.Evaluation;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Trainers.Study;

/// <summary>A method of the study: the base model as it is (zero-shot, prompted for the style) or a training method.</summary>
public sealed record StudyMethod(string Name, TrainingMethod? Training)
{
    public static StudyMethod ZeroShot { get; } = new("zero-shot", null);

    public static IReadOnlyList<StudyMethod> All { get; } =
    [
        ZeroShot,
        new("sft", TrainingMethod.Sft),
        new("simpo", TrainingMethod.SimPo),
        new("dpo", TrainingMethod.Dpo),
        new("cwdpo", TrainingMethod.CwDpo),
    ];

    /// <summary>The method named <paramref name="name"/> (case-insensitive); null when there is none.</summary>
    public static StudyMethod? Find(string name) => All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// What <see cref="StudyRunner"/> runs: every method at every nested data fraction (zero-shot once), each from the
/// same base weights and evaluated on the same test split, with the settings of <see cref="Template"/>.
/// </summary>
public sealed record StudyOptions
{
    /// <summary>Holds train.jsonl, validation.jsonl and test.jsonl.</summary>
    public required string DataDirectory { get; init; }
    public required string Style { get; init; }
    public required IReadOnlyList<StudyMethod> Methods { get; init; }
    /// <summary>Percentages of the training split, each in (0, 100].</summary>
    public required IReadOnlyList<double> Percents { get; init; }
    /// <summary>The base weights, loop settings and objective constants every trained cell starts from; its method,
    /// data and output folder are set per cell. A learning rate of 0 takes each method's default.</summary>
    public required TrainingRecipe Template { get; init; }
    public required string OutputDirectory { get; init; }
    /// <summary>A CLIP folder for the judge; null writes the built-in tiny CLIP into the study folder.</summary>
    public string? ClipPath { get; init; }
    public StyleClassifierTrainingOptions Classifier { get; init; } = StyleClassifierTrainingOptions.ForTinyClip;
    /// <summary>Generated tokens per test caption (greedy decoding).</summary>
    public int MaxNewTokens { get; init; } = 24;
    /// <summary>Continue the study the folder holds: recorded cells are kept, the rest are run.</summary>
    public bool Resume { get; init; }
    public TextWriter Log { get; init; } = TextWriter.Null;

    /// <summary>The settings a cell's result depends on; a study is resumed only with the same ones.</summary>
    internal IReadOnlyDictionary<string, string> Settings()
    {
        var t = Template;
        static string N(double? v) => v is { } x ? x.ToString("R", CultureInfo.InvariantCulture) : "default";
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["weights"] = Path.GetFullPath(t.WeightsPath),
            ["data"] = Path.GetFullPath(DataDirectory),
            ["style"] = Style,
            ["clip"] = ClipPath is null ? "built-in" : Path.GetFullPath(ClipPath),
            ["max_steps"] = t.Trainer.MaxSteps.ToString(CultureInfo.InvariantCulture),
            ["epochs"] = N(t.Trainer.Epochs),
            ["batch_size"] = t.Trainer.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["grad_accum"] = t.Trainer.GradientAccumulation.ToString(CultureInfo.InvariantCulture),
            ["lr"] = N(t.Trainer.LearningRate > 0 ? t.Trainer.LearningRate : null),
            ["warmup_ratio"] = N(t.Trainer.WarmupRatio),
            ["seed"] = t.Trainer.Seed.ToString(CultureInfo.InvariantCulture),
            ["full"] = t.Full.ToString(),
            ["train_vision"] = t.TrainVision.ToString(),
            ["lora"] = $"{t.Lora.Rank}/{N(t.Lora.Alpha)}/{N(t.Lora.Dropout)}/{string.Join('+', t.Lora.TargetModules)}",
            ["beta"] = N(t.Beta),
            ["gamma_beta_ratio"] = N(t.GammaBetaRatio),
            ["sft_weight"] = N(t.SftWeight),
            ["max_caption_tokens"] = t.Collator.MaxCaptionTokens.ToString(CultureInfo.InvariantCulture),
            ["max_new_tokens"] = MaxNewTokens.ToString(CultureInfo.InvariantCulture),
        };
    }
}

/// <summary>One cell of the study table: percentages 0–100, CLIPScore on its 0–2.5 scale (null without a CLIP
/// score); zero-shot trains on none of the data and has fraction 0.</summary>
public sealed record StudyRow(string Method, double Fraction, int Examples, int Steps, double? WrLogP, double? StyleAcc, double? ClipScore, double Distinct, double Seconds);
