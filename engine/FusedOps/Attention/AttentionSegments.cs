using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>
/// Packed variable-length segments: segment s owns query rows [CuSeqlensQ[s], CuSeqlensQ[s+1]) and key rows
/// [CuSeqlensK[s], CuSeqlensK[s+1]). A segment may also read a key prefix, a range of key rows owned by another
/// segment: its keys are then the virtual concatenation [prefix ; own keys], and the causal rule applies to that
/// concatenation (docs/fused-ops.md, "Shared key prefixes"). Host copies are kept so the CPU and the launch code
/// need no download.
/// </summary>
public sealed class AttentionSegments
{
    private int[][]? _keyGroups;

    /// <param name="keyPrefixStarts">per segment, the first key row of its prefix (null: no segment has one)</param>
    /// <param name="keyPrefixLengths">per segment, the length of its prefix (0: none)</param>
    public AttentionSegments(int[] cuSeqlensQ, int[] cuSeqlensK, int[]? keyPrefixStarts = null, int[]? keyPrefixLengths = null)
    {
        if (cuSeqlensQ.Length < 2 || cuSeqlensQ.Length != cuSeqlensK.Length)
            throw new ArgumentException($"cu_seqlens_q ({cuSeqlensQ.Length}) and cu_seqlens_k ({cuSeqlensK.Length}) must both have S+1 ≥ 2 entries");
        Validate(cuSeqlensQ, "cu_seqlens_q");
        Validate(cuSeqlensK, "cu_seqlens_k");
        CuSeqlensQ = cuSeqlensQ;
        CuSeqlensK = cuSeqlensK;
        if ((keyPrefixStarts is null) != (keyPrefixLengths is null))
            throw new ArgumentException("key prefix starts and lengths come together: give both or neither");
        if (keyPrefixStarts is not null)
        {
            ValidatePrefixes(keyPrefixStarts, keyPrefixLengths!);
            KeyPrefixStarts = keyPrefixStarts;
            KeyPrefixLengths = keyPrefixLengths;
        }
    }

    public int[] CuSeqlensQ { get; }

    public int[] CuSeqlensK { get; }

    /// <summary>Per segment, the first key row of its shared prefix; null when no segment reads one.</summary>
    public int[]? KeyPrefixStarts { get; }

    /// <summary>Per segment, how many key rows its shared prefix holds (0: none); null when no segment reads one.</summary>
    public int[]? KeyPrefixLengths { get; }

    public bool HasKeyPrefixes => KeyPrefixLengths is not null && KeyPrefixLengths.Any(l => l > 0);

    public int Count => CuSeqlensQ.Length - 1;

    public int TotalQ => CuSeqlensQ[^1];

    public int TotalK => CuSeqlensK[^1];

    public int MaxLengthQ => MaxLength(CuSeqlensQ);

    /// <summary>The most keys one segment reads: its prefix plus its own keys.</summary>
    public int MaxLengthK => Enumerable.Range(0, Count).Max(s => KeyPrefix(s).Length + CuSeqlensK[s + 1] - CuSeqlensK[s]);

    /// <summary>Segment s: its first query and own key rows and their lengths (the key prefix not included).</summary>
    public (int QueryStart, int KeyStart, int LengthQ, int LengthK) this[int s] =>
        (CuSeqlensQ[s], CuSeqlensK[s], CuSeqlensQ[s + 1] - CuSeqlensQ[s], CuSeqlensK[s + 1] - CuSeqlensK[s]);

    /// <summary>The key prefix segment s reads before its own keys ((0, 0) when it has none).</summary>
    public (int Start, int Length) KeyPrefix(int s) =>
        KeyPrefixLengths is null ? (0, 0) : (KeyPrefixStarts![s], KeyPrefixLengths[s]);

    /// <summary>
    /// The key rows segment s reads, in order: its prefix (virtual keys 0 … P−1), then its own keys (virtual keys
    /// P …). Each range is (first physical row, length, first virtual key).
    /// </summary>
    public (int Row, int Length, int Virtual)[] KeyRanges(int s)
    {
        var (prefixStart, prefixLength) = KeyPrefix(s);
        var (_, keyStart, _, lengthK) = this[s];
        return prefixLength == 0 ? [(keyStart, lengthK, 0)] : [(prefixStart, prefixLength, 0), (keyStart, lengthK, prefixLength)];
    }

    /// <summary>
    /// Segments that write to the same key rows' gradients: a segment, the owners of the rows its prefix reads, and
    /// every other reader of those rows form one group (singletons when there are no prefixes). A backward that gives
    /// each group to one worker never has two workers add into one dK or dV row.
    /// </summary>
    public IReadOnlyList<int[]> KeyGroups => _keyGroups ??= BuildKeyGroups();

    /// <summary>
    /// The same attention for kernels that know only plain key segments: every segment's keys copied out as one run,
    /// [prefix rows ; own rows]. KeyRows[j] is the key row that materialized row j copies (a prefix row read by several
    /// segments appears once per reader, so the gradient of those copies must be summed back into it); Segments reads
    /// the materialized rows with no prefixes and the same query bounds, so the causal rule is unchanged.
    /// </summary>
    public (AttentionSegments Segments, int[] KeyRows) WithPrefixesMaterialized()
    {
        var cuSeqlensK = new int[Count + 1];
        var rows = new List<int>(TotalK);
        for (var s = 0; s < Count; s++)
        {
            foreach (var (row, length, _) in KeyRanges(s))
                for (var i = 0; i < length; i++) rows.Add(row + i);
            cuSeqlensK[s + 1] = rows.Count;
        }
        return (new AttentionSegments(CuSeqlensQ, cuSeqlensK), rows.ToArray());
    }

    /// <summary>Reads I32 (or I64) cu_seqlens tensors of shape [S+1].</summary>
    public static AttentionSegments FromTensors(Tensor cuSeqlensQ, Tensor cuSeqlensK)
    {
        foreach (var (t, name) in new[] { (cuSeqlensQ, "cu_seqlens_q"), (cuSeqlensK, "cu_seqlens_k") })
            if (t.Rank != 1 || !t.DType.IsInteger() || t.DType == DType.Bool)
                throw new ArgumentException($"{name} must be an I32 vector [S+1], got {t.DType.Name()} {t.Shape}");
        return new AttentionSegments(ToInts(cuSeqlensQ), ToInts(cuSeqlensK));
    }

    /// <summary>Segments of equal length over a packed sequence (the last one may be shorter).</summary>
    public static int[] Windows(int total, int window)
    {
        if (window <= 0) throw new ArgumentOutOfRangeException(nameof(window), $"window must be positive, got {window}");
        var cu = new List<int> { 0 };
        for (var start = window; start < total; start += window) cu.Add(start);
        cu.Add(total);
        return cu.ToArray();
    }

    private static int[] ToInts(Tensor t) => Array.ConvertAll(t.ToDoubleArray(), v => checked((int)v));

    private static int MaxLength(int[] cu)
    {
        var max = 0;
        for (var s = 0; s + 1 < cu.Length; s++) max = Math.Max(max, cu[s + 1] - cu[s]);
        return max;
    }

    private static void Validate(int[] cu, string name)
    {
        if (cu[0] != 0) throw new ArgumentException($"{name} must start at 0, got {cu[0]}");
        for (var s = 0; s + 1 < cu.Length; s++)
            if (cu[s + 1] < cu[s]) throw new ArgumentException($"{name} must be non-decreasing, but entry {s + 1} ({cu[s + 1]}) < entry {s} ({cu[s]})");
    }

    private void ValidatePrefixes(int[] starts, int[] lengths)
    {
        if (starts.Length != Count || lengths.Length != Count)
            throw new ArgumentException($"key prefixes need one start and one length per segment ({Count}), got {starts.Length} and {lengths.Length}");
        for (var s = 0; s < Count; s++)
        {
            var (start, length) = (starts[s], lengths[s]);
            if (length == 0) continue;
            if (length < 0 || start < 0 || (long)start + length > TotalK)
                throw new ArgumentException($"segment {s}: key prefix [{start}, {(long)start + length}) lies outside the {TotalK} key rows");
            var (_, keyStart, _, lengthK) = this[s];
            if (lengthK > 0 && start < keyStart + lengthK && keyStart < start + length)
                throw new ArgumentException($"segment {s}: key prefix [{start}, {start + length}) overlaps its own keys [{keyStart}, {keyStart + lengthK})");
        }
    }

    private int[][] BuildKeyGroups()
    {
        var parent = Enumerable.Range(0, Count).ToArray();
        int Find(int s) => parent[s] == s ? s : parent[s] = Find(parent[s]);
        for (var s = 0; s < Count; s++)
        {
            var (start, length) = KeyPrefix(s);
            if (length == 0) continue;
            // Every segment whose own key rows intersect the prefix joins s's group.
            var owner = Array.BinarySearch(CuSeqlensK, start);
            owner = owner >= 0 ? owner : ~owner - 1;
            for (; owner < Count && CuSeqlensK[owner] < start + length; owner++)
                if (CuSeqlensK[owner + 1] > start) parent[Find(owner)] = Find(s);
        }
        return Enumerable.Range(0, Count).GroupBy(Find).Select(g => g.ToArray()).ToArray();
    }
}
