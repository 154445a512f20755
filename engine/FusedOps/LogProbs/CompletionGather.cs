using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.LogProbs;

/// <summary>
/// The completion target positions of a batch: Hidden [N, D] (differentiable), Targets [N] (I64 token ids),
/// SegmentIds [N] (I64 batch row of each position), Positions [N] (the row of the flattened or packed hidden states
/// each was taken from).
/// </summary>
public sealed record CompletionSelection(Tensor Hidden, Tensor Targets, Tensor SegmentIds, int[] Positions, int NumSegments);

/// <summary>
/// Selects the positions whose next token is a completion token: position t of row b predicts token t+1 and is
/// selected iff targetMask[b, t+1] is set, so only those rows reach the LM head. The ids and the mask are the
/// batch's host arrays: the selection is decided on the host and only the gathered rows touch the device.
/// </summary>
public static class CompletionGather
{
    /// <param name="hidden">[B, T, D] hidden states (differentiable)</param>
    /// <param name="inputIds">[B, T] token ids</param>
    /// <param name="targetMask">[B, T], true where the token is a completion target</param>
    public static CompletionSelection Select(Tensor hidden, long[,] inputIds, bool[,] targetMask)
    {
        if (hidden.Rank != 3) throw new ArgumentException($"completion gather: hidden must be [B, T, D], got {hidden.Shape}");
        var b = hidden.Shape[0];
        var t = hidden.Shape[1];
        var expected = new Shape(b, t);
        if (inputIds.GetLength(0) != b || inputIds.GetLength(1) != t)
            throw new ArgumentException($"completion gather: input ids must be {expected}, got [{inputIds.GetLength(0)}, {inputIds.GetLength(1)}]");
        if (targetMask.GetLength(0) != b || targetMask.GetLength(1) != t)
            throw new ArgumentException($"completion gather: target mask must be {expected}, got [{targetMask.GetLength(0)}, {targetMask.GetLength(1)}]");

        var positions = new List<int>();
        var targets = new List<long>();
        var segments = new List<long>();
        for (var row = 0; row < b; row++)
            for (var pos = 0; pos + 1 < t; pos++)
            {
                if (!targetMask[row, pos + 1]) continue;
                positions.Add(row * t + pos);
                targets.Add(inputIds[row, pos + 1]);
                segments.Add(row);
            }
        return SelectRows(hidden.Reshape(b * t, hidden.Shape[2]), [.. positions], [.. targets], [.. segments], b);
    }

    /// <summary>
    /// The given rows of hidden states [R, D] (packed sequences: the caller knows which row predicts which target, and
    /// one row may predict targets of several sequences, as a shared prefix's last token does; its gradient sums).
    /// </summary>
    /// <param name="rows">the row of each selected position</param>
    /// <param name="targets">the token each selected row predicts</param>
    /// <param name="segmentIds">the sequence each selected row scores, in [0, numSegments)</param>
    public static CompletionSelection SelectRows(Tensor hidden, int[] rows, long[] targets, long[] segmentIds, int numSegments)
    {
        if (hidden.Rank != 2) throw new ArgumentException($"completion gather: hidden must be [R, D], got {hidden.Shape}");
        if (targets.Length != rows.Length || segmentIds.Length != rows.Length)
            throw new ArgumentException($"completion gather: {rows.Length} rows, {targets.Length} targets and {segmentIds.Length} segment ids must agree");
        var selected = EagerLogProbs.Serves(hidden.Device) ? EagerLogProbs.GatherRows(hidden, rows) : CompletionGatherOp.Apply(hidden, rows);
        var device = hidden.Device;
        return new CompletionSelection(
            selected,
            Tensor.FromArray(targets, rows.Length).To(device),
            Tensor.FromArray(segmentIds, rows.Length).To(device),
            rows,
            numSegments);
    }
}
