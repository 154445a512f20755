using System.Globalization;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Lora;

namespace StyleAlign.Trainers.Training;

/// <summary>
/// Bytes one training step adds to the loaded model, by part (docs/performance.md, "Training memory"): the decoder's
/// activations kept for backward with and without activation checkpointing, gradients and AdamW moments of the trainable
/// parameters, and workspace (the vision tower's largest block, the log-prob chunk).
/// </summary>
public sealed record StepMemoryEstimate(long Activations, long CheckpointedActivations, long OptimizerAndGradients, long Workspace)
{
    public long Total(bool checkpoint) => (checkpoint ? CheckpointedActivations : Activations) + OptimizerAndGradients + Workspace;
}

/// <summary>Whether a run checkpoints the decoder's activations, and why, in words for the run's output.</summary>
public sealed record CheckpointDecision(bool Enabled, string Reason)
{
    public override string ToString() => $"activation checkpointing {(Enabled ? "on" : "off")} ({Reason})";
}

/// <summary>The estimate behind the activation-checkpointing default and the memory figures of a training step.</summary>
public static class TrainingMemory
{
    private const int ActivationBytes = sizeof(float);
    private const double GiB = 1024.0 * 1024 * 1024;

    /// <summary>The log-prob op's chunk of logits on the CPU (docs/fused-ops.md).</summary>
    private const long LogProbChunkBytes = 64L << 20;

    /// <summary>
    /// Values one decoder layer keeps per token for backward, fp32: the norms, projections, rotary, attention output and
    /// residuals (9·hidden + 3·kv + 4·intermediate + one log-sum-exp per head), and per LoRA-adapted projection its
    /// low-rank product, the scaled update and the sum (3·out + r; 2·in more with dropout).
    /// </summary>
    public static long LayerValuesPerToken(Qwen25VLTextConfig text, LoraOptions? lora)
    {
        var (hidden, kv, inter) = ((long)text.HiddenSize, (long)text.NumKeyValueHeads * text.HeadDim, (long)text.IntermediateSize);
        var values = 9 * hidden + 3 * kv + 4 * inter + text.NumAttentionHeads;
        if (lora is null) return values;
        foreach (var module in lora.TargetModules)
        {
            var (input, output) = module switch
            {
                "k_proj" or "v_proj" => (hidden, kv),
                "gate_proj" or "up_proj" => (hidden, inter),
                "down_proj" => (inter, hidden),
                _ => (hidden, hidden),
            };
            values += 3 * output + lora.Rank + (lora.Dropout > 0 ? 2 * input : 0);
        }
        return values;
    }

    /// <summary>
    /// The step's memory beyond the loaded weights. Everything a step creates lives until the step ends, so the
    /// gradients of the activations count as much again as the activations. With checkpointing, each layer keeps its
    /// input and the gradient it passes down, and one layer at a time holds its recomputed activations and their gradients.
    /// </summary>
    public static StepMemoryEstimate Estimate(Qwen25VLConfig config, int decoderTokens, int patches, long trainableParameters, LoraOptions? lora, bool trainVision)
    {
        var text = config.Text;
        var perLayer = LayerValuesPerToken(text, lora) * decoderTokens * ActivationBytes;
        var layerInputs = (long)text.HiddenSize * decoderTokens * ActivationBytes;
        var layers = text.NumHiddenLayers;
        var vision = config.Vision;
        var visionBlock = (12L * vision.HiddenSize + 4L * vision.IntermediateSize) * patches * ActivationBytes;
        var visionBytes = trainVision ? 2 * vision.Depth * visionBlock : visionBlock;
        return new StepMemoryEstimate(
            Activations: 2 * layers * perLayer,
            CheckpointedActivations: 2 * layers * layerInputs + 2 * perLayer,
            OptimizerAndGradients: 3 * trainableParameters * sizeof(float),
            Workspace: visionBytes + LogProbChunkBytes);
    }

    /// <summary>Memory the system can still give this process (Linux MemAvailable); null where unknown.</summary>
    public static long? AvailableBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    return long.Parse(line["MemAvailable:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        var info = GC.GetGCMemoryInfo();
        return info.TotalAvailableMemoryBytes > 0 ? info.TotalAvailableMemoryBytes - Environment.WorkingSet : null;
    }

    /// <summary>
    /// The decision for training <paramref name="trainables"/> on batches like <paramref name="batch"/>: the flag when
    /// given, otherwise from the estimate against the memory available now (the model already loaded).
    /// </summary>
    public static CheckpointDecision Decide(bool? requested, Qwen25VLModel model, PreferenceBatch batch, ITrainableParameters trainables)
    {
        var estimate = Estimate(model.Config, batch.Pack(model).Sequences.TokenCount, batch.PixelValues?.Shape[0] ?? 0,
            trainables.Named.Sum(p => p.Parameter.NumElements), (trainables as LoraAdapters)?.Options, model.VisionTrainable);
        return Decide(requested, estimate, AvailableBytes());
    }

    /// <summary>The flag when given; otherwise on exactly when the step would not fit in the available memory without it.</summary>
    public static CheckpointDecision Decide(bool? requested, StepMemoryEstimate estimate, long? available)
    {
        var figures = string.Create(CultureInfo.InvariantCulture,
            $"a step needs about {estimate.Total(false) / GiB:F2} GiB beyond the weights without it, {estimate.Total(true) / GiB:F2} GiB with it");
        if (requested is { } flag) return new CheckpointDecision(flag, $"{(flag ? "asked for" : "turned off")} by --checkpoint-activations; {figures}");
        if (available is not { } free) return new CheckpointDecision(false, $"{figures}; available memory unknown");
        var fits = estimate.Total(false) <= free;
        var availableText = string.Create(CultureInfo.InvariantCulture, $"{free / GiB:F2} GiB available");
        return new CheckpointDecision(!fits, fits ? $"{figures}, which fits in {availableText}" : $"{figures}, more than the {availableText}");
    }
}
