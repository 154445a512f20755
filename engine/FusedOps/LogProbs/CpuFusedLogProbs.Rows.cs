using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;

namespace StyleAlign.Engine.FusedOps.LogProbs;

// Row gather/scatter for the completion selection and the segment reductions of the objectives.
public sealed partial class CpuFusedLogProbs
{
    public Tensor GatherRows(Tensor x, int[] rows) => x.DType switch
    {
        DType.F32 => GatherRows<float>(x, rows),
        DType.F64 => GatherRows<double>(x, rows),
        DType.BF16 => GatherRows<ushort>(x, rows),
        DType.F16 => GatherRows<Half>(x, rows),
        _ => throw new NotSupportedException($"row gather of {x.DType} hidden states"),
    };

    public Tensor ScatterRows(Tensor src, int[] rows, int totalRows) => src.DType switch
    {
        DType.F32 => ScatterRows<float>(src, rows, totalRows),
        DType.F64 => ScatterRows<double>(src, rows, totalRows),
        _ => throw new NotSupportedException($"row scatter of {src.DType} gradients on the CPU (F32 or F64)"),
    };

    public Tensor SegmentSum(Tensor values, Tensor segmentIds, int numSegments)
    {
        RequireCompute(values.DType, "segment sum");
        var v = values.ToDoubleArray();
        var ids = SegmentIdsOf(segmentIds, v.Length, numSegments);
        // Sums in fp64 whatever the value dtype, so long completions lose nothing.
        var sums = new double[numSegments];
        for (var i = 0; i < v.Length; i++) sums[ids[i]] += v[i];
        return Tensor.FromDoubles(sums, new Shape(numSegments), values.DType);
    }

    public Tensor BroadcastSegments(Tensor perSegment, Tensor segmentIds)
    {
        RequireCompute(perSegment.DType, "segment broadcast");
        var s = perSegment.ToDoubleArray();
        var n = (int)segmentIds.NumElements;
        var ids = SegmentIdsOf(segmentIds, n, s.Length);
        var result = new double[n];
        for (var i = 0; i < n; i++) result[i] = s[ids[i]];
        return Tensor.FromDoubles(result, new Shape(n), perSegment.DType);
    }

    private static Tensor GatherRows<T>(Tensor x, int[] rows)
        where T : unmanaged
    {
        if (x.Rank != 2) throw new ArgumentException($"row gather needs a 2-D tensor, got {x.Shape}");
        using var src = Strided.Dense<T>(x);
        var width = x.Shape[1];
        var output = CpuBackend.Output<T>(new Shape(rows.Length, width), x.DType, out var result);
        for (var i = 0; i < rows.Length; i++)
        {
            if ((uint)rows[i] >= (uint)x.Shape[0]) throw new ArgumentOutOfRangeException(nameof(rows), $"row {rows[i]} outside [0, {x.Shape[0]})");
            src.AsSpan((long)rows[i] * width, width).CopyTo(result.AsSpan((long)i * width, width));
        }
        return output;
    }

    private static Tensor ScatterRows<T>(Tensor src, int[] rows, int totalRows)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        if (src.Rank != 2 || src.Shape[0] != rows.Length)
            throw new ArgumentException($"row scatter of {src.Shape} with {rows.Length} row indices");
        using var data = Strided.Dense<T>(src);
        var width = src.Shape[1];
        var output = CpuBackend.Output<T>(new Shape(totalRows, width), src.DType, out var result, zero: true);
        for (var i = 0; i < rows.Length; i++)
        {
            var dst = result.AsSpan((long)rows[i] * width, width);
            var from = data.AsSpan((long)i * width, width);
            for (var j = 0; j < width; j++) dst[j] += from[j];
        }
        return output;
    }

    private static long[] SegmentIdsOf(Tensor segmentIds, int expected, int numSegments)
    {
        if (segmentIds.NumElements != expected)
            throw new ArgumentException($"segment ids hold {segmentIds.NumElements} entries for {expected} values");
        var ids = TargetsOf(segmentIds, "segment ids");
        foreach (var id in ids)
            if (id < 0 || id >= numSegments) throw new ArgumentOutOfRangeException(nameof(segmentIds), $"segment id {id} outside [0, {numSegments})");
        return ids;
    }
}
