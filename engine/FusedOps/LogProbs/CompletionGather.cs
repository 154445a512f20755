using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.LogProbs;

/// <summary>
/// The completion target positions of a batch: Hidden [N, D] (differentiable), Targets [N] (I64 token ids),
/// SegmentIds [N] (I64 batch row of each position), Positions [N] (flat index b·T + t of each selected row).
/// </summary>
public sealed record CompletionSelection(Tensor Hidden, Tensor Targets, Tensor SegmentIds, int[] Positions, int NumSegments);

/// <summary>
/// Selects the positions whose next token is a completion token (alignment spec §2.0, §4.2): position t of row b
/// predicts token t+1 and is selected iff targetMask[b, t+1] ≠ 0, so only those rows reach the LM head.
/// </summary>
public static class CompletionGather
{
    public static CompletionSelection Select(Tensor hidden, Tensor inputIds, Tensor targetMask)
    {
        if (hidden.Rank != 3) throw new ArgumentException($"completion gather: hidden must be [B, T, D], got {hidden.Shape}");
        var b = hidden.Shape[0];
        var t = hidden.Shape[1];
        var expected = new Shape(b, t);
        if (inputIds.Shape != expected) throw new ArgumentException($"completion gather: input ids must be {expected}, got {inputIds.Shape}");
        if (targetMask.Shape != expected) throw new ArgumentException($"completion gather: target mask must be {expected}, got {targetMask.Shape}");
        if (!inputIds.DType.IsInteger()) throw new ArgumentException($"completion gather: input ids must be integers, got {inputIds.DType}");

        var ids = inputIds.ToLongArray();
        var mask = targetMask.ToDoubleArray();
        var positions = new List<int>();
        var targets = new List<long>();
        var segments = new List<long>();
        for (var row = 0; row < b; row++)
            for (var pos = 0; pos + 1 < t; pos++)
            {
                var next = row * t + pos + 1;
                if (mask[next] == 0) continue;
                positions.Add(row * t + pos);
                targets.Add(ids[next]);
                segments.Add(row);
            }

        var rows = positions.ToArray();
        var flat = hidden.Reshape(b * t, hidden.Shape[2]);
        var selected = CompletionGatherOp.Apply(flat, rows);
        var device = hidden.Device;
        return new CompletionSelection(
            selected,
            Tensor.FromArray(targets.ToArray(), rows.Length).To(device),
            Tensor.FromArray(segments.ToArray(), rows.Length).To(device),
            rows,
            b);
    }
}
