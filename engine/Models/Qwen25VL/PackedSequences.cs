using StyleAlign.Engine.FusedOps.Attention;

namespace StyleAlign.Engine.Models.Qwen25VL;

/// <summary>
/// A prefix and the continuations that share it: each sequence of the group is the prefix followed by one
/// continuation. A group with one continuation (possibly empty) is one ordinary sequence.
/// </summary>
public sealed record SequenceGroup(long[] Prefix, IReadOnlyList<long[]> Continuations);

/// <summary>
/// Sequences laid end to end for the decoder, with no padding: per group the prefix once, then each continuation.
/// The prefix and the first continuation form one causal attention segment; every further continuation is a segment
/// of its own that reads the prefix's keys before its own (docs/fused-ops.md, "Shared key prefixes"), so it attends
/// to the prefix and to itself only. M-RoPE positions of every continuation follow the prefix as if the sequence
/// stood alone. Everything here is host metadata; the model turns it into device tensors.
/// </summary>
public sealed class PackedSequences
{
    private PackedSequences(long[] inputIds, long[] positions, AttentionSegments segments, int[][] sequences, int[] shared)
    {
        InputIds = inputIds;
        Positions = positions;
        Segments = segments;
        Sequences = sequences;
        SharedTokenCount = shared.Sum();
    }

    /// <summary>[T] token ids in packed order.</summary>
    public long[] InputIds { get; }

    /// <summary>[3, T] M-RoPE ids, component-major.</summary>
    public long[] Positions { get; }

    public AttentionSegments Segments { get; }

    /// <summary>
    /// Per sequence (groups in order, each group's continuations in order): the packed row of each of its tokens
    /// (prefix then continuation), so token t of sequence i sits at row Sequences[i][t].
    /// </summary>
    public IReadOnlyList<int[]> Sequences { get; }

    /// <summary>Tokens through the decoder.</summary>
    public int TokenCount => InputIds.Length;

    /// <summary>Tokens the unshared layout would run in addition: each prefix once more for every extra continuation.</summary>
    public int SharedTokenCount { get; }

    /// <summary>
    /// Packs the groups. <paramref name="grids"/> are the images' grids in packed order (a group's prefix, then its
    /// first continuation); further continuations may not hold images, since they reuse the prefix's.
    /// </summary>
    public static PackedSequences Build(IReadOnlyList<SequenceGroup> groups, IReadOnlyList<(int T, int H, int W)> grids, int imageTokenId, int spatialMerge)
    {
        if (groups.Count == 0) throw new ArgumentException("nothing to pack: no sequences");
        var ids = new List<long>();
        var rope = new List<(long T, long H, long W)>();
        var cu = new List<int> { 0 };
        var prefixStarts = new List<int>();
        var prefixLengths = new List<int>();
        var sequences = new List<int[]>();
        var shared = new List<int>();
        var cursor = 0;
        for (var g = 0; g < groups.Count; g++)
        {
            var (prefix, continuations) = (groups[g].Prefix, groups[g].Continuations);
            if (continuations.Count == 0) throw new ArgumentException($"sequence group {g} has no continuation (an ordinary sequence has one, possibly empty)");
            var groupStart = ids.Count;
            var groupCursor = cursor;
            for (var c = 0; c < continuations.Count; c++)
            {
                var continuation = continuations[c];
                if (c > 0 && Array.IndexOf(continuation, (long)imageTokenId) >= 0)
                    throw new ArgumentException($"sequence group {g}: continuation {c} holds image tokens; only the prefix and the first continuation may");
                // The sequence as if alone: its positions, and the images of its prefix taken again from the group's first grid.
                var imageCursor = groupCursor;
                var positions = RopeIndex.Row([.. prefix, .. continuation], grids, ref imageCursor, imageTokenId, spatialMerge, $"sequence group {g}");
                if (c == 0) cursor = imageCursor;
                var rows = new int[prefix.Length + continuation.Length];
                for (var t = 0; t < prefix.Length; t++) rows[t] = groupStart + t;
                var first = c == 0 ? 0 : prefix.Length;
                for (var t = first; t < rows.Length; t++)
                {
                    rows[t] = ids.Count;
                    ids.Add(t < prefix.Length ? prefix[t] : continuation[t - prefix.Length]);
                    rope.Add(positions[t]);
                }
                sequences.Add(rows);
                cu.Add(ids.Count);
                prefixStarts.Add(c == 0 ? 0 : groupStart);
                prefixLengths.Add(c == 0 ? 0 : prefix.Length);
                shared.Add(c == 0 ? 0 : prefix.Length);
            }
        }
        if (cursor != grids.Count) throw new ArgumentException($"{grids.Count} image grids given but the sequences hold {cursor} images");
        var total = ids.Count;
        var flat = new long[3 * total];
        for (var i = 0; i < total; i++) (flat[i], flat[total + i], flat[2 * total + i]) = rope[i];
        var cuArray = cu.ToArray();
        var segments = prefixLengths.Any(l => l > 0)
            ? new AttentionSegments(cuArray, cuArray, [.. prefixStarts], [.. prefixLengths])
            : new AttentionSegments(cuArray, cuArray);
        return new PackedSequences([.. ids], flat, segments, [.. sequences], [.. shared]);
    }

    /// <summary>Each row of a padded batch as its own sequence (its real tokens, in order, by the mask).</summary>
    public static PackedSequences FromPadded(long[,] inputIds, long[,]? attentionMask, IReadOnlyList<(int T, int H, int W)> grids, int imageTokenId, int spatialMerge)
    {
        var (batch, length) = (inputIds.GetLength(0), inputIds.GetLength(1));
        var groups = new List<SequenceGroup>(batch);
        for (var b = 0; b < batch; b++)
        {
            var tokens = new List<long>(length);
            for (var t = 0; t < length; t++)
                if (attentionMask is null || attentionMask[b, t] != 0) tokens.Add(inputIds[b, t]);
            groups.Add(new SequenceGroup([.. tokens], [[]]));
        }
        return Build(groups, grids, imageTokenId, spatialMerge);
    }
}
