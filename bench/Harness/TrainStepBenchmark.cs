using System.Diagnostics;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Nn;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Lora;
using StyleAlign.Trainers.Objectives;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Bench.Harness;

/// <summary>What one `bench train-step` run does.</summary>
/// <param name="CheckpointActivations">null: as training decides, from the estimated step memory</param>
/// <param name="SharePrefix">each pair's prompt once (the training default); false runs every row alone</param>
public sealed record TrainStepOptions(
    BenchModelSource Model, Device Device, TrainingMethod Method, int BatchPairs = 1, int ImageSize = 448, int CaptionTokens = 32, bool Full = false,
    int Steps = 1, bool? CheckpointActivations = null, bool SharePrefix = true, double? CpuGigahertz = null, int? CpuFmaLanes = null);

/// <summary>
/// Times optimizer steps of a preference objective on a synthetic batch (<see cref="TrainStepBatch"/>), phase by phase:
/// the vision tower, the forward to the loss, the backward, the optimizer (clipping and AdamW). LoRA r 16 (α 32) on all
/// seven decoder projections, or full fine-tuning of the decoder. Reports the median step (and the median of each
/// phase), throughput over the batch's tokens, model FLOP/s and MFU (<see cref="ModelFlops"/>, <see cref="DevicePeak"/>) and the peak resident memory
/// while the steps ran (weights included, the loading's garbage collected first).
/// </summary>
public static class TrainStepBenchmark
{
    public static Dictionary<string, object?> Run(TrainStepOptions o, TextWriter? log = null)
    {
        if (!o.Device.IsCpu) throw new NotSupportedException($"bench train-step: the model runs on the CPU in this build; {o.Device} placement is not wired yet");
        if (o.BatchPairs < 1 || o.Steps < 1 || o.CaptionTokens < 1 || o.ImageSize < 28)
            throw new ArgumentException("bench train-step: --batch-pairs, --steps and --caption-tokens must be at least 1, --image-size at least 28");
        var loaded = o.Model.Load(o.Device, o.Full ? name => FullParameters.Trains(name, trainVision: false) : null);
        var model = loaded.Model;
        log?.WriteLine($"model: {loaded.Origin}, {model.Parameters.Count:N0} parameters, weights {loaded.WeightsDType}, {loaded.LoadSeconds:F1} s");
        var recipe = new TrainingRecipe { Method = o.Method, WeightsPath = loaded.Origin, DataPath = "(synthetic)", Full = o.Full };
        var objective = recipe.Objective();
        var batch = TrainStepBatch.Create(model.Config, o.BatchPairs, o.ImageSize, o.CaptionTokens, objective.UsesRejected) with { SharePrefix = o.SharePrefix };
        using ITrainableParameters trainables = o.Full ? new FullParameters(model, trainVision: false, keepReference: false) : new LoraAdapters(model, new LoraOptions());
        var references = objective.UsesReference ? BatchScorer.ScoreValues(model, batch).Sums : null;
        var packed = batch.Pack(model);
        var checkpointing = TrainingMemory.Decide(o.CheckpointActivations, model, batch, trainables);
        log?.WriteLine(checkpointing.ToString());
        model.Decoder.CheckpointLayers = checkpointing.Enabled;

        var parameters = trainables.Named.Select(p => p.Parameter).ToList();
        using var optimizer = new AdamW(AdamW.DecayGroups(trainables.Named, 0), new AdamWOptions(LearningRate: TrainingRecipe.DefaultLearningRate(o.Method, o.Full), WeightDecay: 0));
        var steps = new List<double[]>();
        // Loading leaves garbage (source arrays, dtype round trips) resident until a collection; the step's peak must
        // count the weights and what the steps allocate, not that.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var residentBeforeSteps = Environment.WorkingSet;
        var peakMemory = new PeakMemory();
        peakMemory.BeginStep();
        for (var step = 0; step < o.Steps; step++)
        {
            var times = Step(model, trainables, optimizer, parameters, objective, batch, references, step);
            steps.Add(times);
            log?.WriteLine($"step {step + 1}: {times.Sum():F0} ms (vision {times[0]:F0}, forward {times[1]:F0}, backward {times[2]:F0}, optimizer {times[3]:F0})");
        }
        var (stepPeak, lifetimePeak) = peakMemory.EndStep();
        var peak = stepPeak ?? lifetimePeak;
        model.Decoder.CheckpointLayers = false;

        var stepMs = Median(steps.Select(t => t.Sum()));
        double Phase(int i) => Math.Round(Median(steps.Select(t => t[i])), 1);
        var flops = ModelFlops.Step(model, parameters, packed.Sequences.TokenCount, packed.Targets.Length, packed.Sequences.Segments, batch.PairGrids);
        var modelTflops = flops.Total / (stepMs / 1000) / 1e12;
        var devicePeak = DevicePeak.Cpu(o.CpuGigahertz, o.CpuFmaLanes);
        return new Dictionary<string, object?>
        {
            ["step_ms"] = Math.Round(stepMs, 1),
            ["tokens_per_s"] = Math.Round(batch.TokenCount / (stepMs / 1000), 1),
            ["model_tflops"] = Math.Round(modelTflops, 5),
            ["mfu"] = devicePeak is null ? null : Math.Round(modelTflops / devicePeak.Tflops, 5),
            ["peak_bytes"] = peak,
            ["resident_bytes_before_steps"] = residentBeforeSteps,
            ["phases"] = new Dictionary<string, double>
            {
                ["vision"] = Phase(0),
                ["forward"] = Phase(1),
                ["backward"] = Phase(2),
                ["optimizer"] = Phase(3),
            },
            ["steps_ms"] = steps.Select(t => Math.Round(t.Sum(), 1)).ToArray(),
            ["batch_tokens"] = batch.TokenCount,
            ["decoder_tokens"] = packed.Sequences.TokenCount,
            ["shared_prefix"] = o.SharePrefix,
            ["checkpoint_activations"] = checkpointing.Enabled,
            ["checkpoint_reason"] = checkpointing.Reason,
            ["model_flops"] = flops.Total,
            ["peak_tflops"] = devicePeak?.Tflops,
            ["peak_basis"] = devicePeak?.Basis,
            ["parameters"] = model.Parameters.Count,
            ["trained_parameters"] = parameters.Sum(p => p.NumElements),
            ["weights"] = loaded.WeightsDType,
            ["load_seconds"] = Math.Round(loaded.LoadSeconds, 1),
        };
    }

    /// <summary>One optimizer step; milliseconds of vision, forward, backward and optimizer.</summary>
    private static double[] Step(Engine.Models.Qwen25VL.Qwen25VLModel model, ITrainableParameters trainables, AdamW optimizer, List<Tensor> parameters,
        IObjective objective, PreferenceBatch batch, double[]? references, int step)
    {
        var times = new double[4];
        var clock = Stopwatch.StartNew();
        trainables.BeginStep(step);
        using (TensorScope.Begin())
        {
            var embeds = BatchScorer.EncodeImages(model, batch);
            times[0] = Lap(clock);
            var rows = BatchScorer.Score(model, batch, embeds, objective.UsesVocabMean);
            var output = objective.Compute(rows, references);
            times[1] = Lap(clock);
            output.Loss.Backward();
        }
        // The backward phase includes freeing the step's tensors.
        times[2] = Lap(clock);
        GradientClipping.ClipGlobalNorm(parameters, 1.0);
        optimizer.Step();
        optimizer.ZeroGrad();
        times[3] = Lap(clock);
        return times;
    }

    private static double Lap(Stopwatch clock)
    {
        var ms = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        return ms;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
