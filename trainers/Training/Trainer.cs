using System.Diagnostics;
using System.Text.Json.Nodes;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Nn;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Evaluation;
using StyleAlign.Trainers.Objectives;

namespace StyleAlign.Trainers.Training;

/// <summary>
/// The training loop shared by every objective: AdamW (fp32 moments, no decay on norms and biases), warmup then
/// cosine/linear decay, global-norm clipping, gradient accumulation, WR-LogP evaluation and Δlog p probes, metrics,
/// atomic checkpoints and bit-exact resume on the CPU. Data order is a pure function of (seed, epoch), and every
/// random draw is keyed by (seed, step), so a step needs no generator state beyond its index.
/// </summary>
public sealed partial class Trainer(Qwen25VLModel model, ITrainableParameters trainables, IObjective objective, PreferenceCollator collator, TrainerOptions options)
{
    private readonly Dictionary<int, int[]> _epochOrders = [];
    private readonly PeakMemory _peakMemory = new();
    private IReadOnlyList<PreferenceExample> _train = [];
    private ReferenceCache? _references;
    private OnPolicyNegatives? _negatives;
    private MetricsLog? _metrics;

    public TrainerOptions Options => options;

    public TrainingResult Train(IReadOnlyList<PreferenceExample> train, IReadOnlyList<PreferenceExample>? eval = null)
    {
        var clock = Stopwatch.StartNew();
        if (train.Count == 0) throw new ArgumentException("the training set is empty");
        if (options.BatchSize < 1 || options.GradientAccumulation < 1) throw new ArgumentOutOfRangeException(nameof(options), "batch size and gradient accumulation must be at least 1");
        var missing = objective.UsesRejected ? train.FirstOrDefault(e => e.Rejected is null) : null;
        if (missing is not null) throw new ArgumentException($"{objective.Name} needs rejected captions; example '{missing.Id}' (line {missing.LineNumber}) has none");
        _train = train;
        var checkpointing = DecideCheckpointing();
        Say(checkpointing.ToString());
        var previous = model.Decoder.CheckpointLayers;
        model.Decoder.CheckpointLayers = checkpointing.Enabled;
        try
        {
            return Run(train, eval, clock);
        }
        finally
        {
            model.Decoder.CheckpointLayers = previous;
        }
    }

    /// <summary>
    /// Activation checkpointing as asked, or, by default, from the estimated memory of a step of the first micro-batch
    /// against the memory available now that the model is loaded.
    /// </summary>
    private CheckpointDecision DecideCheckpointing() =>
        TrainingMemory.Decide(options.CheckpointActivations, model, collator.Collate(MicroBatch(0, 0), objective.UsesRejected), trainables);

    private TrainingResult Run(IReadOnlyList<PreferenceExample> train, IReadOnlyList<PreferenceExample>? eval, Stopwatch clock)
    {
        var dir = options.OutputDirectory;
        Directory.CreateDirectory(dir);
        foreach (var cleared in CheckpointStore.RemoveOrphans(dir)) Warn(cleared);

        var perStep = options.BatchSize * options.GradientAccumulation;
        var stepsPerEpoch = Math.Max(1, (int)Math.Ceiling((double)train.Count / perStep));
        var totalSteps = options.MaxSteps > 0 ? options.MaxSteps : Math.Max(1, (int)Math.Ceiling(options.Epochs * train.Count / perStep));
        var schedule = new LearningRateSchedule(options.LearningRate, (int)Math.Round(options.WarmupRatio * totalSteps), totalSteps, options.Decay, options.MinLearningRate);
        var groups = new List<ParamGroup>
        {
            new(trainables.Named.Where(p => trainables.Decays(p.Name, p.Parameter)).Select(p => p.Parameter).ToList(), options.WeightDecay),
            new(trainables.Named.Where(p => !trainables.Decays(p.Name, p.Parameter)).Select(p => p.Parameter).ToList(), 0),
        };
        using var optimizer = new AdamW(groups, new AdamWOptions(LearningRate: options.LearningRate, WeightDecay: options.WeightDecay));
        var evalSet = eval is { Count: > 0 } ? eval.Take(options.MaxEvalPairs).ToList() : null;

        var run = new RunState();
        var startStep = 0;
        var latest = options.Resume ? CheckpointStore.LatestIntact(dir, Warn) : null;
        if (options.Resume && latest is null) Say($"resume: no checkpoint in '{dir}', starting from step 0");
        if (latest is not null)
        {
            startStep = Restore(latest, optimizer, run);
            Say($"resumed from '{latest}' at step {startStep}");
        }
        var metrics = _metrics = new MetricsLog(dir, startStep, latest is null ? null : MetricsRecordsAt(latest), Warn);
        if (objective.UsesReference)
            _references = ReferenceCache.LoadOrCompute(dir, model, trainables, collator, train, options.EvalBatchSize);
        if (options.OnPolicy is not null)
        {
            if (!objective.UsesRejected) throw new ArgumentException("on-policy negatives need an objective with rejected rows");
            _negatives ??= new OnPolicyNegatives(options.OnPolicy, options.Seed);
        }
        if (evalSet is not null && run.Baseline is null)
        {
            run.Baseline = WrLogP.Evaluate(model, collator, evalSet, options.EvalBatchSize);
            run.WinRateBefore = run.Baseline.WinRate;
            metrics.Append(new() { ["step"] = 0, ["eval/wr_logp"] = run.Baseline.WinRate, ["eval/avg_logp_chosen"] = run.Baseline.MeanChosen, ["eval/avg_logp_rejected"] = run.Baseline.MeanRejected });
            Say($"step 0: eval WR-LogP {run.Baseline.WinRate:F1} %");
        }

        var step = startStep;
        var lastSaved = latest is null ? -1 : startStep;
        string? stopReason = null;
        var stepsThisProcess = 0;
        while (step < totalSteps)
        {
            objective.SetProgress((double)step / totalSteps);
            if (_negatives is not null)
            {
                var every = options.OnPolicy!.RefreshEvery > 0 ? options.OnPolicy.RefreshEvery : stepsPerEpoch;
                _negatives.EnsureRefreshed(step / every, model, trainables, collator, train, _references!, options.EvalBatchSize);
            }
            optimizer.LearningRate = schedule.At(step);
            var record = RunStep(step, optimizer);
            run.FinalLoss = record["loss"];
            step++;
            stepsThisProcess++;
            record["step"] = step;
            record["epoch"] = (double)step * perStep / train.Count;
            metrics.Append(record);
            options.Progress?.Invoke(step, totalSteps, run.FinalLoss);
            if (!options.Quiet) Say($"step {step}/{totalSteps}  {MetricsLog.Format(record)}");

            var final = step == totalSteps;
            if (evalSet is not null && options.EvalEvery > 0 && step % options.EvalEvery == 0 && !final)
                stopReason = EvaluateAndCheck(step, evalSet, run, metrics, optimizer);
            if ((options.SaveEvery > 0 && step % options.SaveEvery == 0) || final || stopReason is not null)
            {
                SaveCheckpoint(CheckpointStore.StepName(step), step, optimizer, run);
                lastSaved = step;
            }
            if (stopReason is not null)
            {
                Say($"early stop at step {step}: {stopReason}");
                break;
            }
            if (options.StopAfterSteps is { } limit && stepsThisProcess >= limit && !final)
            {
                if (lastSaved != step) SaveCheckpoint(CheckpointStore.StepName(step), step, optimizer, run);
                return new TrainingResult(step, run.FinalLoss, run.WinRateBefore, null, clock.Elapsed.TotalSeconds, dir, "stopped after the requested steps");
            }
        }

        trainables.Save(dir);
        double? after = null;
        if (evalSet is not null)
        {
            var result = WrLogP.Evaluate(model, collator, evalSet, options.EvalBatchSize);
            after = result.WinRate;
            var (pos, neg, margin) = result.ProbesSince(run.Baseline!);
            metrics.Append(new() { ["step"] = step, ["eval/wr_logp"] = after.Value, ["probe/delta_chosen"] = pos, ["probe/delta_rejected"] = neg, ["probe/margin"] = margin });
            Say($"step {step}: eval WR-LogP {after:F1} % (before {run.WinRateBefore:F1} %)");
        }
        if (options.WritePlot) metrics.Plot($"{objective.Name}: {Path.GetFileName(Path.GetFullPath(dir))}");
        return new TrainingResult(step, run.FinalLoss, run.WinRateBefore, after, clock.Elapsed.TotalSeconds, dir, stopReason);
    }

    /// <summary>Something the user should know that does not stop the run (what a resume passed over or cleared).</summary>
    private void Warn(string message)
    {
        if (options.Warn is not null) options.Warn(message);
        else options.Log?.WriteLine($"warning: {message}");
    }

    /// <summary>How many metrics records existed when a checkpoint was written, if it says.</summary>
    private static int? MetricsRecordsAt(string checkpoint) =>
        CheckpointStore.ReadState(checkpoint)[CheckpointStore.MetricsRecordsKey] is JsonValue count && count.TryGetValue<int>(out var n) ? n : null;

    private void Say(string line)
    {
        if (options.Log is not null && !(options.Quiet && line.StartsWith("step ", StringComparison.Ordinal))) options.Log.WriteLine(line);
    }

    /// <summary>The examples of micro-batch <paramref name="micro"/> of optimizer step <paramref name="step"/>.</summary>
    internal IReadOnlyList<PreferenceExample> MicroBatch(int step, int micro)
    {
        var n = _train.Count;
        var start = ((long)step * options.GradientAccumulation + micro) * options.BatchSize;
        var examples = new List<PreferenceExample>(options.BatchSize);
        for (var k = 0; k < options.BatchSize && k < n; k++)
        {
            var index = start + k;
            var epoch = (int)(index / n);
            if (!_epochOrders.TryGetValue(epoch, out var order))
            {
                order = DeterministicShuffle.Shuffled(Enumerable.Range(0, n), options.Seed + (ulong)epoch);
                _epochOrders[epoch] = order;
            }
            var example = _train[order[(int)(index % n)]];
            examples.Add(_negatives?.Apply(example) ?? example);
        }
        return examples;
    }

    /// <summary>State that is not a tensor: evaluation baseline, probe history, best probe margin.</summary>
    private sealed class RunState
    {
        public WrLogPResult? Baseline { get; set; }
        public double? WinRateBefore { get; set; }
        public double FinalLoss { get; set; } = double.NaN;
        public List<(double Positive, double Negative)> Probes { get; } = [];
        public double BestMargin { get; set; } = double.NegativeInfinity;
        public int BestStep { get; set; }
    }
}
