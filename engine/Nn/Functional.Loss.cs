using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Nn;

public static partial class Functional
{
    /// <summary>
    /// Mean cross-entropy of logits [N, V] (F32/F64) against targets [N] over the targets that are not
    /// ignoreIndex. With label smoothing ε: (1 − ε)·nll + ε·mean_v(−log p_v), as torch defines it.
    /// Returns 0 (with a gradient of zeros) when every target is ignored.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor targets, long ignoreIndex = -100, double labelSmoothing = 0)
    {
        if (labelSmoothing is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(labelSmoothing), $"label smoothing {labelSmoothing} is outside [0, 1]");
        var (safeTargets, valid, count) = PrepareTargets(logits, targets, ignoreIndex);
        var logProbs = logits.LogSoftmax(-1);
        var picked = logProbs.Gather(1, safeTargets).Reshape(logits.Shape[0]);
        var perToken = -picked;
        if (labelSmoothing > 0) perToken = (1 - labelSmoothing) * perToken - labelSmoothing * logProbs.Mean(-1);
        var weights = Tensor.FromDoubles(Array.ConvertAll(valid, v => v ? 1.0 / Math.Max(count, 1) : 0.0), new Shape(valid.Length), logits.DType, logits.Device);
        return (perToken * weights).Sum();
    }

    /// <summary>log p(target) per row of logits [N, V] → [N], 0 where the target is ignoreIndex (log_softmax + gather).</summary>
    public static Tensor TokenLogProbs(Tensor logits, Tensor targets, long ignoreIndex = -100)
    {
        var (safeTargets, valid, _) = PrepareTargets(logits, targets, ignoreIndex);
        var picked = logits.LogSoftmax(-1).Gather(1, safeTargets).Reshape(logits.Shape[0]);
        if (valid.All(v => v)) return picked;
        var keep = Tensor.FromDoubles(Array.ConvertAll(valid, v => v ? 1.0 : 0.0), new Shape(valid.Length), logits.DType, logits.Device);
        return picked * keep;
    }

    /// <summary>Targets as an [N, 1] I64 gather index with ignored entries pointed at column 0, and the validity mask.</summary>
    private static (Tensor SafeTargets, bool[] Valid, int Count) PrepareTargets(Tensor logits, Tensor targets, long ignoreIndex)
    {
        if (logits.Rank != 2) throw new ArgumentException($"logits must be [N, V], got {logits.Shape}");
        if (targets.Rank != 1 || targets.Shape[0] != logits.Shape[0]) throw new ArgumentException($"targets must be [N] = [{logits.Shape[0]}], got {targets.Shape}");
        if (targets.DType is not (DType.I64 or DType.I32)) throw new ArgumentException($"targets must be I64 or I32, got {targets.DType}");
        var values = targets.ToLongArray();
        var valid = new bool[values.Length];
        var safe = new long[values.Length];
        var count = 0;
        var vocab = logits.Shape[1];
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] == ignoreIndex) continue;
            if (values[i] < 0 || values[i] >= vocab) throw new ArgumentOutOfRangeException(nameof(targets), $"target {values[i]} at row {i} is outside the vocabulary [0, {vocab})");
            valid[i] = true;
            safe[i] = values[i];
            count++;
        }
        var index = Tensor.FromArray(safe, values.Length, 1).To(logits.Device);
        return (index, valid, count);
    }
}
