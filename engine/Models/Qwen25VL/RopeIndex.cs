namespace StyleAlign.Engine.Models.Qwen25VL;

/// <summary>
/// The 3-D (t, h, w) M-RoPE position ids (docs/models.md, "M-RoPE position ids"): text advances all three components
/// together; an image's tokens take (S, S+row, S+col) where S is the position the first image pad would have;
/// text after an image resumes at max+1. In a padded batch, padded slots get 1, as the reference does.
/// </summary>
public static class RopeIndex
{
    /// <returns>positions [3, B, T] flattened (component-major) and the per-row rope delta.</returns>
    public static (long[] Positions, long[] Deltas) Compute(long[,] inputIds, long[,]? attentionMask, IReadOnlyList<(int T, int H, int W)> grids, int imageTokenId, int spatialMerge)
    {
        var batch = inputIds.GetLength(0);
        var length = inputIds.GetLength(1);
        var positions = new long[3 * batch * length];
        Array.Fill(positions, 1L);
        var deltas = new long[batch];
        var imageCursor = 0;
        for (var b = 0; b < batch; b++)
        {
            var valid = new List<int>();
            for (var t = 0; t < length; t++)
                if (attentionMask is null || attentionMask[b, t] != 0) valid.Add(t);
            var tokens = valid.Select(t => inputIds[b, t]).ToArray();
            var rowPositions = Row(tokens, grids, ref imageCursor, imageTokenId, spatialMerge, $"row {b}");
            long rowMax = 0;
            for (var i = 0; i < valid.Count; i++)
            {
                var (pt, ph, pw) = rowPositions[i];
                positions[(0 * batch + b) * length + valid[i]] = pt;
                positions[(1 * batch + b) * length + valid[i]] = ph;
                positions[(2 * batch + b) * length + valid[i]] = pw;
                rowMax = Math.Max(rowMax, Math.Max(pt, Math.Max(ph, pw)));
            }
            deltas[b] = rowMax + 1 - length;
        }
        if (imageCursor != grids.Count) throw new ArgumentException($"{grids.Count} image grids given but the ids hold {imageCursor} images");
        return (positions, deltas);
    }

    /// <summary>
    /// The (t, h, w) ids of one sequence's tokens, with its images' grids taken from <paramref name="grids"/> starting
    /// at <paramref name="imageCursor"/> (advanced past the ones used).
    /// </summary>
    public static (long T, long H, long W)[] Row(ReadOnlySpan<long> tokens, IReadOnlyList<(int T, int H, int W)> grids, ref int imageCursor, int imageTokenId, int spatialMerge, string what)
    {
        var rowPositions = new (long T, long H, long W)[tokens.Length];
        var st = 0;
        long next = 0;
        while (true)
        {
            var found = tokens[st..].IndexOf((long)imageTokenId);
            if (found < 0) break;
            var ed = st + found;
            if (imageCursor >= grids.Count) throw new ArgumentException($"{what} has more images than the {grids.Count} grids given");
            var (gt, gh, gw) = grids[imageCursor++];
            for (var i = st; i < ed; i++, next++) rowPositions[i] = (next, next, next);
            var lh = gh / spatialMerge;
            var lw = gw / spatialMerge;
            var count = gt * lh * lw;
            if (ed + count > tokens.Length) throw new ArgumentException($"{what}: the image needs {count} pad tokens but the sequence ends first");
            var start = next;
            long max = start;
            var p = ed;
            for (var ti = 0; ti < gt; ti++)
                for (var r = 0; r < lh; r++)
                    for (var c = 0; c < lw; c++)
                    {
                        // Images have second_per_grid_t = 0, so the temporal component stays at the start.
                        rowPositions[p++] = (start, start + r, start + c);
                        max = Math.Max(max, Math.Max(start + r, start + c));
                    }
            next = max + 1;
            st = ed + count;
        }
        for (var i = st; i < tokens.Length; i++, next++) rowPositions[i] = (next, next, next);
        return rowPositions;
    }
}
