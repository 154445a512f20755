namespace StyleAlign.Engine.Models.Qwen25VL;

/// <summary>
/// The integer bookkeeping of the vision tower for a batch of images (docs/models.md, "Vision tower"): per-patch rotary
/// positions in processor row order, the window permutation of merge units, and the attention segments
/// before (full) and after (windowed) it. Pure host arithmetic, no tensors.
/// </summary>
public sealed class VisionLayout
{
    private VisionLayout(int[] hPos, int[] wPos, int[] windowIndex, int[] cuWindowRaw, int[] cuWindow, int[] cuFull, int mergeUnit)
    {
        HPositions = hPos;
        WPositions = wPos;
        WindowIndex = windowIndex;
        CuWindowSeqlensRaw = cuWindowRaw;
        CuWindowSeqlens = cuWindow;
        CuSeqlens = cuFull;
        MergeUnit = mergeUnit;
    }

    /// <summary>Patch row (gy) of every patch, processor order.</summary>
    public int[] HPositions { get; }

    /// <summary>Patch column (gx) of every patch, processor order.</summary>
    public int[] WPositions { get; }

    /// <summary>Merge-unit permutation into window order (merged tokens of all images).</summary>
    public int[] WindowIndex { get; }

    /// <summary>Window boundaries in patches before the duplicates of empty windows are removed.</summary>
    public int[] CuWindowSeqlensRaw { get; }

    /// <summary>Window boundaries in patches (window order), used by the windowed blocks.</summary>
    public int[] CuWindowSeqlens { get; }

    /// <summary>Image (frame) boundaries in patches, used by the full-attention blocks.</summary>
    public int[] CuSeqlens { get; }

    /// <summary>Patches per merged token (spatial_merge_size²).</summary>
    public int MergeUnit { get; }

    public int PatchCount => HPositions.Length;

    /// <summary>argsort(WindowIndex): where each merged token of raster order sits in window order.</summary>
    public int[] ReverseIndex()
    {
        var reverse = new int[WindowIndex.Length];
        for (var i = 0; i < WindowIndex.Length; i++) reverse[WindowIndex[i]] = i;
        return reverse;
    }

    /// <summary>Builds the layout. windowSize is in pixels (112 for the released models).</summary>
    public static VisionLayout Build(IReadOnlyList<(int T, int H, int W)> grids, int spatialMerge, int windowSize, int patchSize)
    {
        var hPos = new List<int>();
        var wPos = new List<int>();
        var windowIndex = new List<int>();
        var cuWindow = new List<int> { 0 };
        var cuFull = new List<int> { 0 };
        var unit = spatialMerge * spatialMerge;
        var windowUnits = windowSize / spatialMerge / patchSize;
        var baseIndex = 0;
        foreach (var (t, h, w) in grids)
        {
            if (h % spatialMerge != 0 || w % spatialMerge != 0)
                throw new ArgumentException($"image grid {t}x{h}x{w} is not a multiple of the merge size {spatialMerge}");
            for (var f = 0; f < t; f++)
            {
                // Processor row order: merge units row-major, the 2×2 patches of a unit row-major inside it.
                for (var bh = 0; bh < h / spatialMerge; bh++)
                    for (var bw = 0; bw < w / spatialMerge; bw++)
                        for (var mh = 0; mh < spatialMerge; mh++)
                            for (var mw = 0; mw < spatialMerge; mw++)
                            {
                                hPos.Add(bh * spatialMerge + mh);
                                wPos.Add(bw * spatialMerge + mw);
                            }
                cuFull.Add(cuFull[^1] + h * w);
            }

            var lh = h / spatialMerge;
            var lw = w / spatialMerge;
            // As the reference does, a grid that divides evenly still gets a full extra row/column of empty windows.
            var padH = windowUnits - lh % windowUnits;
            var padW = windowUnits - lw % windowUnits;
            var windowsH = (lh + padH) / windowUnits;
            var windowsW = (lw + padW) / windowUnits;
            for (var f = 0; f < t; f++)
                for (var wr = 0; wr < windowsH; wr++)
                    for (var wc = 0; wc < windowsW; wc++)
                    {
                        var count = 0;
                        for (var r = wr * windowUnits; r < Math.Min(wr * windowUnits + windowUnits, lh); r++)
                            for (var c = wc * windowUnits; c < Math.Min(wc * windowUnits + windowUnits, lw); c++)
                            {
                                windowIndex.Add(baseIndex + f * lh * lw + r * lw + c);
                                count++;
                            }
                        cuWindow.Add(cuWindow[^1] + unit * count);
                    }
            baseIndex += t * lh * lw;
        }

        var deduped = new List<int>();
        foreach (var v in cuWindow)
            if (deduped.Count == 0 || deduped[^1] != v) deduped.Add(v);
        return new VisionLayout(hPos.ToArray(), wPos.ToArray(), windowIndex.ToArray(), cuWindow.ToArray(), deduped.ToArray(), cuFull.ToArray(), unit);
    }
}
