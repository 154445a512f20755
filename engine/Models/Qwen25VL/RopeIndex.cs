namespace StyleAlign.Engine.Models.Qwen25VL;

/// <summary>
/// The 3-D (t, h, w) M-RoPE position ids for a padded batch (docs/models.md, "M-RoPE position ids"): text advances all three components
/// together; an image's tokens take (S, S+row, S+col) where S is the position the first image pad would have;
/// text after an image resumes at max+1. Padded slots get 1, as the reference does.
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
            var rowPositions = new List<(long T, long H, long W)>(tokens.Length);
            var st = 0;
            long next = 0;
            while (true)
            {
                var ed = Array.IndexOf(tokens, (long)imageTokenId, st);
                if (ed < 0) break;
                if (imageCursor >= grids.Count) throw new ArgumentException($"row {b} has more images than the {grids.Count} grids given");
                var (gt, gh, gw) = grids[imageCursor++];
                for (var i = st; i < ed; i++, next++) rowPositions.Add((next, next, next));
                var lt = gt;
                var lh = gh / spatialMerge;
                var lw = gw / spatialMerge;
                var start = next;
                long max = start;
                for (var ti = 0; ti < lt; ti++)
                    for (var r = 0; r < lh; r++)
                        for (var c = 0; c < lw; c++)
                        {
                            // Images have second_per_grid_t = 0, so the temporal component stays at the start.
                            rowPositions.Add((start, start + r, start + c));
                            max = Math.Max(max, Math.Max(start + r, start + c));
                        }
                next = max + 1;
                st = ed + lt * lh * lw;
                if (st > tokens.Length) throw new ArgumentException($"row {b}: the image needs {lt * lh * lw} pad tokens but the sequence ends first");
            }
            for (var i = st; i < tokens.Length; i++, next++) rowPositions.Add((next, next, next));

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
}
