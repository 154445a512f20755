using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>
/// Packed variable-length segments: segment s owns query rows [CuSeqlensQ[s], CuSeqlensQ[s+1]) and key rows
/// [CuSeqlensK[s], CuSeqlensK[s+1]). Host copies are kept so the CPU and the launch code need no download.
/// </summary>
public sealed class AttentionSegments
{
    public AttentionSegments(int[] cuSeqlensQ, int[] cuSeqlensK)
    {
        if (cuSeqlensQ.Length < 2 || cuSeqlensQ.Length != cuSeqlensK.Length)
            throw new ArgumentException($"cu_seqlens_q ({cuSeqlensQ.Length}) and cu_seqlens_k ({cuSeqlensK.Length}) must both have S+1 ≥ 2 entries");
        Validate(cuSeqlensQ, "cu_seqlens_q");
        Validate(cuSeqlensK, "cu_seqlens_k");
        CuSeqlensQ = cuSeqlensQ;
        CuSeqlensK = cuSeqlensK;
    }

    public int[] CuSeqlensQ { get; }

    public int[] CuSeqlensK { get; }

    public int Count => CuSeqlensQ.Length - 1;

    public int TotalQ => CuSeqlensQ[^1];

    public int TotalK => CuSeqlensK[^1];

    public int MaxLengthQ => MaxLength(CuSeqlensQ);

    public int MaxLengthK => MaxLength(CuSeqlensK);

    /// <summary>Segment s: its first query and key rows and its lengths.</summary>
    public (int QueryStart, int KeyStart, int LengthQ, int LengthK) this[int s] =>
        (CuSeqlensQ[s], CuSeqlensK[s], CuSeqlensQ[s + 1] - CuSeqlensQ[s], CuSeqlensK[s + 1] - CuSeqlensK[s]);

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
}
