using System.CommandLine;
using StyleAlign.Engine.Nn;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Lora;
using StyleAlign.Trainers.Objectives;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Cli.Verbs;

/// <summary>Options every training verb (and the sweep) takes.</summary>
internal sealed class CommonOptions(TrainingMethod method)
{
    /// <summary>Far above any useful rank (ranks are a few to a few hundred), low enough that the adapters' size stays bounded.</summary>
    private const int MaxLoraRank = 65_536;

    public Option<string> Weights { get; } = new("--weights") { Description = "Qwen2.5-VL folder (config.json, safetensors, tokenizer files, preprocessor_config.json).", Required = true };
    public Option<string> Data { get; } = new("--data") { Description = "Training JSONL (id, image, prompt, chosen[, rejected]).", Required = true };
    public Option<string?> EvalData { get; } = new("--eval-data") { Description = "Held-out pairs for WR-LogP and the Δlog p probes." };
    public Option<string> Out { get; } = new("--out") { Description = "Run folder (metrics, checkpoints, adapter).", DefaultValueFactory = _ => "run" };
    public Option<int> MaxSteps { get; } = new Option<int>("--max-steps") { Description = "Optimizer steps (0: from --epochs).", DefaultValueFactory = _ => 0 }.AtLeast(0);
    public Option<double> Epochs { get; } = new Option<double>("--epochs") { Description = "Passes over the data when --max-steps is 0.", DefaultValueFactory = _ => 1.0 }.Positive();
    public Option<int> BatchSize { get; } = new Option<int>("--batch-size") { Description = "Pairs per micro-batch.", DefaultValueFactory = _ => 4 }.AtLeast(1);
    public Option<int> GradAccum { get; } = new Option<int>("--grad-accum") { Description = "Micro-batches per optimizer step.", DefaultValueFactory = _ => 1 }.AtLeast(1);
    public Option<double?> Lr { get; } = new Option<double?>("--lr") { Description = $"Peak learning rate (default: {TrainingRecipe.DefaultLearningRate(method, false):G2} with LoRA, {TrainingRecipe.DefaultLearningRate(method, true):G2} with --full)." }.Positive();
    public Option<double> WarmupRatio { get; } = new Option<double>("--warmup-ratio") { Description = "Fraction of steps of linear warmup.", DefaultValueFactory = _ => 0.1 }.Between(0, 1);
    public Option<string> Scheduler { get; } = new("--scheduler") { Description = "cosine | linear | constant.", DefaultValueFactory = _ => "cosine" };
    public Option<double> WeightDecay { get; } = new Option<double>("--weight-decay") { Description = "AdamW decay on matrices (never on norms and biases).", DefaultValueFactory = _ => 0.0 }.NonNegative();
    public Option<double> MaxGradNorm { get; } = new Option<double>("--max-grad-norm") { Description = "Global gradient-norm clip (0: off).", DefaultValueFactory = _ => 1.0 }.NonNegative();
    public Option<int> SaveEvery { get; } = new Option<int>("--save-every") { Description = "Checkpoint every N steps (0: at the end only).", DefaultValueFactory = _ => 0 }.AtLeast(0);
    public Option<int> EvalEvery { get; } = new Option<int>("--eval-every") { Description = "Evaluate every N steps (0: before and after only).", DefaultValueFactory = _ => 0 }.AtLeast(0);
    public Option<int> MaxEvalPairs { get; } = new Option<int>("--max-eval-pairs") { Description = "Evaluation (probe) pairs used at most.", DefaultValueFactory = _ => 256 }.AtLeast(1);
    public Option<ulong> Seed { get; } = new Option<ulong>("--seed") { Description = "Seed of the data order, LoRA init and sampling.", DefaultValueFactory = _ => 42UL }.AnyValue();
    public Option<bool> Resume { get; } = new("--resume") { Description = "Continue from the latest intact checkpoint in --out." };
    public Option<bool> Force { get; } = new("--force") { Description = "Replace a non-empty --out: its checkpoints, metrics and adapters are deleted first." };
    public Option<bool> AllowOutsidePaths { get; } = VerbSupport.AllowOutsidePaths();
    public Option<bool> Quiet { get; } = new("--quiet") { Description = "No per-step lines." };
    public Option<bool> Json { get; } = new("--json") { Description = "Print a JSON summary as the last line." };
    public Option<bool> SkipBad { get; } = new("--skip-bad") { Description = "Skip malformed lines and missing images instead of stopping." };
    public Option<int> MaxCaptionTokens { get; } = new Option<int>("--max-caption-tokens") { Description = "Captions are cut to this many tokens (<|im_end|> is always kept).", DefaultValueFactory = _ => 64 }.AtLeast(1);
    public Option<bool> Full { get; } = new("--full") { Description = "Full fine-tuning of the decoder instead of LoRA." };
    public Option<bool> TrainVision { get; } = new("--train-vision") { Description = "With --full, also train the vision tower." };
    public Option<int> LoraRank { get; } = new Option<int>("--lora-rank") { Description = "LoRA rank r.", DefaultValueFactory = _ => 16 }.Between(1, MaxLoraRank);
    public Option<double> LoraAlpha { get; } = new Option<double>("--lora-alpha") { Description = "LoRA α (scale α/r).", DefaultValueFactory = _ => 32.0 }.Positive();
    public Option<double> LoraDropout { get; } = new Option<double>("--lora-dropout") { Description = "LoRA dropout on the adapter input (masks keyed by seed, step and module).", DefaultValueFactory = _ => 0.0 }.Between(0, 1, maxExcluded: true);
    public Option<bool?> CheckpointActivations { get; } = CheckpointActivationsOption();
    public Option<string> LoraTargets { get; } = new("--lora-targets") { Description = "Comma-separated decoder projections.", DefaultValueFactory = _ => string.Join(",", LoraOptions.AllTargetModules) };

    private PlacementOptions? _placement;

    public void AddTo(Command command)
    {
        _placement = new PlacementOptions(command);
        foreach (Option option in new Option[] { Weights, Data, EvalData, Out, MaxSteps, Epochs, BatchSize, GradAccum, Lr, WarmupRatio, Scheduler, WeightDecay, MaxGradNorm, SaveEvery, EvalEvery, MaxEvalPairs, Seed, Resume, Force, AllowOutsidePaths, Quiet, Json, SkipBad, MaxCaptionTokens, Full, TrainVision, LoraRank, LoraAlpha, LoraDropout, LoraTargets, CheckpointActivations })
            command.Options.Add(option);
    }

    /// <summary>Applies the run-folder policy (<see cref="RunFolder.Prepare"/>) to --out with --resume and --force.</summary>
    public void PrepareRunFolder(ParseResult parse) =>
        CliErrors.AsUsage(() => RunFolder.Prepare(parse.GetValue(Out)!, parse.GetValue(Resume), parse.GetValue(Force)));

    public TrainingRecipe Recipe(ParseResult parse)
    {
        var full = parse.GetValue(Full);
        var decay = parse.GetValue(Scheduler)!.ToLowerInvariant() switch
        {
            "cosine" => LearningRateDecay.Cosine,
            "linear" => LearningRateDecay.Linear,
            "constant" => LearningRateDecay.Constant,
            var other => throw new UsageException($"--scheduler '{other}': expected cosine, linear or constant"),
        };
        if (parse.GetValue(TrainVision) && !full) throw new UsageException("--train-vision needs --full (LoRA adapts the decoder only)");
        return new TrainingRecipe
        {
            Method = method,
            Placement = _placement!.Parse(parse),
            WeightsPath = parse.GetValue(Weights)!,
            DataPath = parse.GetValue(Data)!,
            EvalDataPath = parse.GetValue(EvalData),
            SkipBad = parse.GetValue(SkipBad),
            Full = full,
            TrainVision = parse.GetValue(TrainVision),
            Collator = new CollatorOptions { MaxCaptionTokens = parse.GetValue(MaxCaptionTokens) },
            Lora = new LoraOptions
            {
                Rank = parse.GetValue(LoraRank),
                Alpha = parse.GetValue(LoraAlpha),
                Dropout = parse.GetValue(LoraDropout),
                TargetModules = parse.GetValue(LoraTargets)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Seed = parse.GetValue(Seed),
            },
            Trainer = new TrainerOptions
            {
                OutputDirectory = parse.GetValue(Out)!,
                MaxSteps = parse.GetValue(MaxSteps),
                Epochs = parse.GetValue(Epochs),
                BatchSize = parse.GetValue(BatchSize),
                GradientAccumulation = parse.GetValue(GradAccum),
                LearningRate = parse.GetValue(Lr) ?? TrainingRecipe.DefaultLearningRate(method, full),
                WarmupRatio = parse.GetValue(WarmupRatio),
                Decay = decay,
                WeightDecay = parse.GetValue(WeightDecay),
                MaxGradNorm = parse.GetValue(MaxGradNorm),
                SaveEvery = parse.GetValue(SaveEvery),
                EvalEvery = parse.GetValue(EvalEvery),
                MaxEvalPairs = parse.GetValue(MaxEvalPairs),
                Seed = parse.GetValue(Seed),
                Resume = parse.GetValue(Resume),
                Quiet = parse.GetValue(Quiet),
                CheckpointActivations = CheckpointFlag(parse, CheckpointActivations),
                Log = parse.InvocationConfiguration.Output,
                Warn = message => CliErrors.Warn(parse, message),
            },
        };
    }

    /// <summary>--checkpoint-activations [true|false], for the training verbs and `bench train-step`.</summary>
    internal static Option<bool?> CheckpointActivationsOption() => new("--checkpoint-activations")
    {
        Description = "Recompute each decoder layer in backward instead of keeping its activations (true|false; default: on when the estimated step memory exceeds the memory available).",
        Arity = ArgumentArity.ZeroOrOne,
    };

    /// <summary>--checkpoint-activations alone means true; absent means decide from memory.</summary>
    internal static bool? CheckpointFlag(ParseResult parse, Option<bool?> option) =>
        parse.GetResult(option) is { Implicit: false } given ? given.GetValueOrDefault<bool?>() ?? true : null;
}

/// <summary>CW-DPO flags; every default is a PROPOSAL (docs/objectives.md, "CW-DPO").</summary>
internal sealed class CoolingFlags
{
    private readonly Option<string> _stage = new("--stage") { Description = "1 (gentle-negative SFT), 2 (cooling-weighted DPO) or both.", DefaultValueFactory = _ => "both" };
    private readonly Option<int> _stage1Steps = new Option<int>("--stage1-steps") { Description = "Stage-1 steps when running both (0: one epoch).", DefaultValueFactory = _ => 0 }.AtLeast(0);
    private readonly Option<double> _gentleWeight = new Option<double>("--gentle-weight") { Description = "PROPOSAL λ_g: weight of the negatives' smoothed CE in stage 1.", DefaultValueFactory = _ => 0.1 }.NonNegative();
    private readonly Option<double> _gentleSmoothing = new Option<double>("--gentle-smoothing") { Description = "PROPOSAL ε: label smoothing of stage 1.", DefaultValueFactory = _ => 0.1 }.Between(0, 1, maxExcluded: true);
    private readonly Option<double> _temperature = new Option<double>("--cooling-temperature") { Description = "PROPOSAL T in nats/token of w = clip(σ((Ā⁻ − τ)/T), w_min, 1).", DefaultValueFactory = _ => 0.5 }.Positive();
    private readonly Option<double?> _finalTemperature = new Option<double?>("--cooling-final-temperature") { Description = "PROPOSAL: anneal T linearly to this value (e.g. 0.25 from 1.0)." }.Positive();
    private readonly Option<double> _minWeight = new Option<double>("--min-weight") { Description = "PROPOSAL w_min.", DefaultValueFactory = _ => 0.05 }.Between(0, 1);
    private readonly Option<double> _tauMomentum = new Option<double>("--tau-momentum") { Description = "PROPOSAL momentum of τ, the EMA of the negatives' mean Ā⁻.", DefaultValueFactory = _ => 0.9 }.Between(0, 1);
    private readonly Option<bool> _gradientOnly = new("--gradient-only") { Description = "PROPOSAL variant: keep z = β(Δ⁺ − Δ⁻), scale only the negative's gradient by w." };
    private readonly Option<double> _negativeMix = new Option<double>("--negative-mix") { Description = "PROPOSAL ρ: fraction of dataset negatives; the rest are sampled from the policy.", DefaultValueFactory = _ => 0.3 }.Between(0, 1);
    private readonly Option<bool> _noOnPolicy = new("--no-on-policy") { Description = "Use dataset negatives only." };
    private readonly Option<int> _refreshEvery = new Option<int>("--refresh-every") { Description = "PROPOSAL K: resample on-policy negatives every K steps (0: once per epoch).", DefaultValueFactory = _ => 0 }.AtLeast(0);
    private readonly Option<double> _sampleTemperature = new Option<double>("--sample-temperature") { Description = "PROPOSAL sampling temperature of on-policy negatives.", DefaultValueFactory = _ => 1.0 }.NonNegative();
    private readonly Option<double> _sampleTopP = new Option<double>("--sample-top-p") { Description = "PROPOSAL nucleus of on-policy sampling.", DefaultValueFactory = _ => 0.9 }.AboveUpTo(0, 1);
    private readonly Option<bool> _noEarlyStop = new("--no-early-stop") { Description = "Do not stop on the Δlog p squeezing signature." };
    private readonly Option<int> _patience = new Option<int>("--probe-patience") { Description = "PROPOSAL: evaluations of falling Δ⁺ and Δ⁻ that stop the run.", DefaultValueFactory = _ => 3 }.AtLeast(1);
    private readonly Option<double> _floor = new Option<double>("--probe-floor") { Description = "PROPOSAL: stop when Δ⁺ falls below this (nats/token).", DefaultValueFactory = _ => -0.05 }.Finite();

    public CoolingFlags(Command command)
    {
        foreach (Option option in new Option[] { _stage, _stage1Steps, _gentleWeight, _gentleSmoothing, _temperature, _finalTemperature, _minWeight, _tauMomentum, _gradientOnly, _negativeMix, _noOnPolicy, _refreshEvery, _sampleTemperature, _sampleTopP, _noEarlyStop, _patience, _floor })
            command.Options.Add(option);
    }

    public TrainingRecipe Apply(ParseResult parse, TrainingRecipe recipe)
    {
        var stage = parse.GetValue(_stage)!.ToLowerInvariant() switch
        {
            "1" => CoolingStage.GentleSft,
            "2" => CoolingStage.CoolingDpo,
            "both" => CoolingStage.Both,
            var other => throw new UsageException($"--stage '{other}': expected 1, 2 or both"),
        };
        return recipe with
        {
            Stage = stage,
            Stage1Steps = parse.GetValue(_stage1Steps),
            GentleNegativeWeight = parse.GetValue(_gentleWeight),
            GentleLabelSmoothing = parse.GetValue(_gentleSmoothing),
            Cooling = new CoolingOptions
            {
                Temperature = parse.GetValue(_temperature),
                FinalTemperature = parse.GetValue(_finalTemperature),
                MinWeight = parse.GetValue(_minWeight),
                TauMomentum = parse.GetValue(_tauMomentum),
                GradientOnly = parse.GetValue(_gradientOnly),
            },
            Trainer = recipe.Trainer with
            {
                OnPolicy = parse.GetValue(_noOnPolicy) ? null : new OnPolicyOptions
                {
                    DatasetFraction = parse.GetValue(_negativeMix),
                    RefreshEvery = parse.GetValue(_refreshEvery),
                    Temperature = parse.GetValue(_sampleTemperature),
                    TopP = parse.GetValue(_sampleTopP),
                },
                EarlyStop = parse.GetValue(_noEarlyStop) ? null : new EarlyStopOptions { Patience = parse.GetValue(_patience), PositiveFloor = parse.GetValue(_floor) },
            },
        };
    }
}
