using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Models;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Vision;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Lora;
using StyleAlign.Trainers.Objectives;

namespace StyleAlign.Trainers.Training;

public enum TrainingMethod
{
    Sft,
    Dpo,
    SimPo,
    CwDpo,
}

/// <summary>Which CW-DPO stages a run performs.</summary>
public enum CoolingStage
{
    Both,
    GentleSft,
    CoolingDpo,
}

/// <summary>
/// Everything one training command needs: where the model and data are, the objective and its constants, LoRA or full
/// fine-tuning, and the loop settings. <see cref="Run"/> loads, trains and returns the result.
/// </summary>
public sealed record TrainingRecipe
{
    public required TrainingMethod Method { get; init; }
    /// <summary>A Qwen2.5-VL folder with config.json, safetensors, tokenizer files and preprocessor_config.json.</summary>
    public required string WeightsPath { get; init; }
    public required string DataPath { get; init; }
    public string? EvalDataPath { get; init; }
    public bool SkipBad { get; init; }
    public bool Full { get; init; }
    public bool TrainVision { get; init; }
    public LoraOptions Lora { get; init; } = new();
    public TrainerOptions Trainer { get; init; } = new();
    /// <summary>The device the model and every tensor of a step live on, and the frozen weights' dtype (full
    /// fine-tuning trains f32 weights whatever this says).</summary>
    public Placement Placement { get; init; } = Placement.Cpu;
    public CollatorOptions Collator { get; init; } = new();
    /// <summary>β; null takes the method's default (DPO/CW-DPO 0.1, SimPO 2.0).</summary>
    public double? Beta { get; init; }
    public DpoLossType DpoLoss { get; init; } = DpoLossType.Sigmoid;
    public double LabelSmoothing { get; init; }
    public double GammaBetaRatio { get; init; } = 0.5;
    public double SftWeight { get; init; }
    public CoolingOptions Cooling { get; init; } = new();
    public double GentleNegativeWeight { get; init; } = 0.1;
    public double GentleLabelSmoothing { get; init; } = 0.1;
    public CoolingStage Stage { get; init; } = CoolingStage.Both;
    /// <summary>Stage-1 optimizer steps when both stages run (0: one epoch).</summary>
    public int Stage1Steps { get; init; }
    /// <summary>Trains on these examples instead of reading <see cref="DataPath"/> (data-fraction sweeps).</summary>
    public IReadOnlyList<PreferenceExample>? TrainExamples { get; init; }

    /// <summary>
    /// Peak learning rates (docs/objectives.md, "Learning rates"). Full fine-tuning: SFT 2e-5, DPO 1e-6, SimPO 1e-6 (the
    /// top of the SimPO grid, since small models move slowly); LoRA uses 10× those, as adapters start at zero
    /// and their updates are scaled by α/r.
    /// </summary>
    public static double DefaultLearningRate(TrainingMethod method, bool full)
    {
        var fullRate = method switch
        {
            TrainingMethod.Sft => 2e-5,
            _ => 1e-6,
        };
        return full ? fullRate : fullRate * 10;
    }

    /// <param name="afterTraining">called with the trained model while its trainable parameters (LoRA adapters
    /// included) are still in place, e.g. to evaluate it before they are released</param>
    public TrainingResult Run(Action<Qwen25VLModel, PreferenceCollator>? afterTraining = null)
    {
        var tokenizer = QwenTokenizer.Load(WeightsPath);
        var processor = QwenImageProcessor.Load(WeightsPath);
        var collator = new PreferenceCollator(tokenizer, processor, Collator);
        var needsRejected = Method != TrainingMethod.Sft;
        var loadOptions = (needsRejected ? DataLoadOptions.Preference : DataLoadOptions.Sft) with { SkipBad = SkipBad };
        var train = TrainExamples ?? PreferenceDataset.Load(DataPath, loadOptions).Examples;
        var eval = EvalDataPath is null ? null : PreferenceDataset.Load(EvalDataPath, DataLoadOptions.Preference with { SkipBad = SkipBad }).Examples;
        // What full fine-tuning trains is read into f32 memory (and a full run holds every weight in f32); on the CPU
        // every frozen weight stays in the mapped checkpoint.
        var model = Qwen25VLModel.Load(WeightsPath, Full ? Placement with { WeightDType = DType.F32 } : Placement,
            new WeightOptions { Trainable = name => Full && FullParameters.Trains(name, TrainVision) }, tokenizer);
        processor.CheckModel(model.Config.Vision, Qwen25VLModel.ConfigFolder(WeightsPath));
        var positions = model.Config.Text.MaxPositionEmbeddings;
        train = SequenceBudget.Fit(train, collator, positions, SkipBad, Trainer.Warn);
        if (eval is not null) eval = SequenceBudget.Fit(eval, collator, positions, SkipBad, Trainer.Warn);
        if (Method == TrainingMethod.CwDpo && Stage == CoolingStage.Both) return RunBothStages(model, collator, train, eval, afterTraining);
        // Full fine-tuning keeps a copy of the starting weights whenever reference log-probs may be needed after the
        // first update (a resumed run's cache check, on-policy negatives); LoRA gets the reference by zeroing its update.
        using var trainables = Trainables(model, keepReference: Method is TrainingMethod.Dpo || (Method == TrainingMethod.CwDpo && Stage != CoolingStage.GentleSft));
        var result = new Trainer(model, trainables, Objective(Method == TrainingMethod.CwDpo && Stage == CoolingStage.GentleSft), collator, Trainer).Train(train, eval);
        afterTraining?.Invoke(model, collator);
        return result;
    }

    /// <summary>Stage 1 into out/stage1, its adapter merged into the weights in memory, then stage 2 into out/stage2
    /// with that model as the reference.</summary>
    private TrainingResult RunBothStages(Qwen25VLModel model, PreferenceCollator collator, IReadOnlyList<PreferenceExample> train, IReadOnlyList<PreferenceExample>? eval,
        Action<Qwen25VLModel, PreferenceCollator>? afterTraining)
    {
        var root = Trainer.OutputDirectory;
        TrainingResult first;
        var stage1Options = Trainer with { OutputDirectory = Path.Combine(root, "stage1"), MaxSteps = Stage1Steps, Epochs = Stage1Steps > 0 ? Trainer.Epochs : 1, OnPolicy = null, EarlyStop = null };
        using (var stage1 = Trainables(model, keepReference: false))
        {
            first = new Trainer(model, stage1, Objective(gentle: true), collator, stage1Options).Train(train, eval);
            // The stage-1 result (LoRA: W₀ + (α/r)·B·A) becomes the model's own weights: stage 2's base and reference.
            stage1.MergeInto(model);
        }
        using var stage2 = Trainables(model, keepReference: true);
        var second = new Trainer(model, stage2, Objective(gentle: false), collator, Trainer with { OutputDirectory = Path.Combine(root, "stage2") }).Train(train, eval);
        afterTraining?.Invoke(model, collator);
        return second with { EvalWinRateBefore = first.EvalWinRateBefore ?? second.EvalWinRateBefore, Seconds = first.Seconds + second.Seconds, Steps = first.Steps + second.Steps };
    }

    private ITrainableParameters Trainables(Qwen25VLModel model, bool keepReference) =>
        Full ? new FullParameters(model, TrainVision, keepReference) : new LoraAdapters(model, Lora);

    public IObjective Objective(bool gentle = false) => Method switch
    {
        TrainingMethod.Sft => new SftObjective(LabelSmoothing),
        TrainingMethod.Dpo => new DpoObjective(Beta ?? 0.1, DpoLoss, LabelSmoothing),
        TrainingMethod.SimPo => new SimPoObjective(Beta ?? 2.0, GammaBetaRatio, LabelSmoothing, SftWeight),
        TrainingMethod.CwDpo when gentle => new GentleNegativeSftObjective(GentleLabelSmoothing, GentleNegativeWeight),
        _ => new CoolingDpoObjective(Beta is { } beta ? Cooling with { Beta = beta } : Cooling),
    };
}
