using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using System.Diagnostics;
using System.Text.Json.Nodes;
using StyleAlign.Engine.Nn;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Evaluation;
using StyleAlign.Trainers.Objectives;

namespace StyleAlign.Trainers.Training;

public sealed partial class Trainer
{
    /// <summary>One optimizer step over <see cref="TrainerOptions.GradientAccumulation"/> micro-batches; returns its metrics.</summary>
    private Dictionary<string, double> RunStep(int step, AdamW optimizer)
    {
        var clock = Stopwatch.StartNew();
        _peakMemory.BeginStep();
        trainables.BeginStep(step);
        var accumulation = options.GradientAccumulation;
        var record = new Dictionary<string, double>(StringComparer.Ordinal);
        long tokens = 0;
        var ids = new List<string>();
        var microBatches = Enumerable.Range(0, accumulation).Select(micro => MicroBatch(step, micro)).ToList();
        var weights = AccumulationWeights(microBatches);
        for (var micro = 0; micro < accumulation; micro++)
        {
            var examples = microBatches[micro];
            ids.AddRange(examples.Select(e => e.Id));
            using var scope = TensorScope.Begin();
            var batch = collator.Collate(examples, objective.UsesRejected);
            tokens += batch.TokenCount;
            var embeds = BatchScorer.EncodeImages(model, batch);
            var rows = BatchScorer.Score(model, batch, embeds, objective.UsesVocabMean);
            var output = objective.Compute(rows, objective.UsesReference ? ReferenceSums(examples) : null);
            var loss = output.Metrics["loss"];
            if (!double.IsFinite(loss)) throw new TrainingDivergedException(step + 1, loss, batch.ExampleIds);
            (accumulation == 1 ? output.Loss : output.Loss * weights[micro]).Backward();
            foreach (var (key, value) in output.Metrics) record[key] = record.GetValueOrDefault(key) + value * weights[micro];
        }
        var parameters = trainables.Named.Select(p => p.Parameter).ToList();
        var norm = options.MaxGradNorm > 0 ? GradientClipping.ClipGlobalNorm(parameters, options.MaxGradNorm) : GradientClipping.ClipGlobalNorm(parameters, double.MaxValue);
        if (!double.IsFinite(norm)) throw new TrainingDivergedException(step + 1, norm, ids);
        optimizer.Step();
        optimizer.ZeroGrad();
        var seconds = clock.Elapsed.TotalSeconds;
        record["learning_rate"] = optimizer.LearningRate;
        record["grad_norm"] = norm;
        record["step_seconds"] = seconds;
        record["tokens_per_second"] = tokens / Math.Max(seconds, 1e-9);
        var (stepPeak, lifetimePeak) = _peakMemory.EndStep();
        record["peak_memory_mb"] = lifetimePeak / (1024.0 * 1024.0);
        if (stepPeak is { } bytes) record["step_peak_memory_mb"] = bytes / (1024.0 * 1024.0);
        return record;
    }

    /// <summary>
    /// Each micro-batch's share of the step's loss, by what the objective's loss is a mean over (pairs, or target
    /// tokens for a token mean), so the accumulated loss equals the loss of the whole batch at once.
    /// </summary>
    private double[] AccumulationWeights(IReadOnlyList<IReadOnlyList<PreferenceExample>> microBatches)
    {
        if (microBatches.Count == 1) return [1.0];
        var sizes = microBatches
            .Select(examples => objective.MicroBatchWeight(new MicroBatchSize(examples.Count, examples.Sum(e => collator.CompletionIds(e.Chosen).Length))))
            .ToArray();
        var total = sizes.Sum();
        return sizes.Select(size => size / total).ToArray();
    }

    /// <summary>S_ref per row of a [chosen…; rejected…] batch; on-policy negatives carry their own.</summary>
    private double[] ReferenceSums(IReadOnlyList<PreferenceExample> examples)
    {
        var refs = _references ?? throw new InvalidOperationException("reference log-probs were not computed");
        var result = new double[examples.Count * 2];
        for (var i = 0; i < examples.Count; i++)
        {
            var (chosen, rejected) = refs[examples[i].Id];
            result[i] = chosen;
            result[examples.Count + i] = _negatives?.RejectedReference(examples[i].Id) ?? rejected;
        }
        return result;
    }

    private string? EvaluateAndCheck(int step, IReadOnlyList<PreferenceExample> evalSet, RunState run, MetricsLog metrics, AdamW optimizer)
    {
        var result = WrLogP.Evaluate(model, collator, evalSet, options.EvalBatchSize);
        var (positive, negative, margin) = result.ProbesSince(run.Baseline!);
        run.Probes.Add((positive, negative));
        metrics.Append(new() { ["step"] = step, ["eval/wr_logp"] = result.WinRate, ["probe/delta_chosen"] = positive, ["probe/delta_rejected"] = negative, ["probe/margin"] = margin });
        Say($"step {step}: eval WR-LogP {result.WinRate:F1} %  Δ⁺ {positive:F4}  Δ⁻ {negative:F4}");
        if (margin > run.BestMargin)
        {
            run.BestMargin = margin;
            run.BestStep = step;
            if (options.EarlyStop is not null) SaveCheckpoint("best", step, optimizer, run);
        }
        return options.EarlyStop?.Check(run.Probes);
    }

    private void SaveCheckpoint(string name, int step, AdamW optimizer, RunState run)
    {
        var state = new JsonObject
        {
            ["step"] = step,
            ["objective"] = objective.Name,
            ["objective_state"] = ToJson(objective.State),
            // Every random draw is keyed by (seed, step): the generator state is the seed and the step above.
            ["rng"] = new JsonObject { ["kind"] = "counter-based (seed, step)", ["seed"] = options.Seed },
            ["data_order"] = new JsonObject
            {
                ["seed"] = options.Seed,
                ["examples"] = _train.Count,
                ["batch_size"] = options.BatchSize,
                ["gradient_accumulation"] = options.GradientAccumulation,
                ["rule"] = "epoch e visits DeterministicShuffle(0..n−1, seed + e)",
            },
            ["optimizer_file"] = CheckpointStore.OptimizerFileName,
            ["final_loss"] = Num(run.FinalLoss),
            ["eval_wr_logp_before"] = run.WinRateBefore is { } before ? Num(before) : null,
            ["baseline"] = run.Baseline is null ? null : new JsonObject
            {
                ["chosen"] = new JsonArray(run.Baseline.ChosenAverages.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
                ["rejected"] = new JsonArray(run.Baseline.RejectedAverages.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
            },
            ["probes"] = new JsonArray(run.Probes.Select(p => (JsonNode?)new JsonArray(JsonValue.Create(p.Positive), JsonValue.Create(p.Negative))).ToArray()),
            ["best_margin"] = Num(run.BestMargin),
            ["best_step"] = run.BestStep,
            ["negatives"] = _negatives?.ToJson(),
            [CheckpointStore.MetricsRecordsKey] = _metrics?.Records.Count,
        };
        CheckpointStore.Save(options.OutputDirectory, name, trainables, optimizer.StateDict(), state);
    }

    private int Restore(string checkpoint, AdamW optimizer, RunState run)
    {
        var state = CheckpointStore.ReadState(checkpoint);
        var order = state["data_order"]!.AsObject();
        if ((ulong)order["seed"]! != options.Seed || (int)order["examples"]! != _train.Count || (int)order["batch_size"]! != options.BatchSize || (int)order["gradient_accumulation"]! != options.GradientAccumulation)
            throw new InvalidOperationException($"'{checkpoint}' was written with another seed, data size, batch size or accumulation; resume needs the same ones");
        trainables.Load(checkpoint);
        var optimizerState = TensorFiles.ReadAll(Path.Combine(checkpoint, CheckpointStore.OptimizerFileName));
        optimizer.LoadState(optimizerState);
        foreach (var t in optimizerState.Values) t.Dispose();
        objective.LoadState(state["objective_state"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value is null ? double.NaN : (double)kv.Value));
        run.FinalLoss = state["final_loss"] is { } loss ? (double)loss : double.NaN;
        run.WinRateBefore = state["eval_wr_logp_before"] is { } before ? (double)before : null;
        if (state["baseline"] is JsonObject baseline)
            run.Baseline = new WrLogPResult(
                baseline["chosen"]!.AsArray().Select(v => (double)v!).ToArray(),
                baseline["rejected"]!.AsArray().Select(v => (double)v!).ToArray());
        foreach (var probe in state["probes"]!.AsArray()) run.Probes.Add(((double)probe![0]!, (double)probe[1]!));
        run.BestMargin = state["best_margin"] is { } best ? (double)best : double.NegativeInfinity;
        run.BestStep = (int)state["best_step"]!;
        if (state["negatives"] is JsonObject negatives && options.OnPolicy is not null)
            _negatives = OnPolicyNegatives.FromJson(options.OnPolicy, options.Seed, negatives);
        return (int)state["step"]!;
    }

    private static JsonObject ToJson(IReadOnlyDictionary<string, double> values)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in values) obj[key] = Num(value);
        return obj;
    }

    /// <summary>JSON has no NaN or infinity: those are written as null.</summary>
    private static JsonNode? Num(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;
}
