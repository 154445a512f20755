using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using Tensor = StyleAlign.Engine.Core.Tensor;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;

namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>
/// Fused attention on the CPU, in the inputs' precision (F32 or F64). The forward tiles each (segment, query
/// head) into blocks of query rows against blocks of keys with an online softmax; the backward recomputes the
/// probabilities from the saved log-sum-exp. Nothing of size T×T is ever held: per worker the extra memory is
/// one block of scores and one of accumulators (forward) or one vector of row dot products (backward).
/// </summary>
public sealed partial class CpuFusedAttention : IFusedAttention
{
    public static readonly CpuFusedAttention Instance = new();

    /// <summary>Query rows per forward tile.</summary>
    internal const int QueryBlock = 64;

    /// <summary>Keys per tile: 64 keys × D ≤ 128 of K and V stay in the L2 cache while a query block streams over them.</summary>
    internal const int KeyBlock = 64;

    private CpuFusedAttention()
    {
    }

    /// <summary>Registers the CPU implementation for <see cref="DeviceKind.Cpu"/> when the engine assembly loads.</summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The engine registers its own implementations; registering stores a factory and does no work.")]
    internal static void Register() => Backends.Register<IFusedAttention>(DeviceKind.Cpu, _ => Instance);

    /// <summary>Bytes the forward holds beyond its inputs and outputs, for the given geometry (one tile set per worker).</summary>
    public static long ForwardScratchBytes(int headDim, int elementBytes) =>
        (long)Environment.ProcessorCount * (QueryBlock * (KeyBlock + headDim + 2) + headDim * KeyBlock) * elementBytes;

    /// <summary>Bytes the backward holds beyond its inputs and gradients: Kᵀ, Vᵀ, P and dP tiles and one row-dot vector per worker.</summary>
    public static long BackwardScratchBytes(int maxSegmentLength, int headDim, int elementBytes) =>
        (long)Environment.ProcessorCount * (2 * headDim * KeyBlock + 2 * QueryBlock * KeyBlock + maxSegmentLength) * elementBytes;

    public (Tensor Output, Tensor LogSumExp) Forward(Tensor q, Tensor k, Tensor v, AttentionSegments segments, AttentionOptions options)
    {
        var geometry = AttentionGeometry.Of(q, k, v, segments);
        RequireCpuFloat(q, k, v);
        return q.DType == DType.F32
            ? Forward<float>(q, k, v, geometry, segments, options)
            : Forward<double>(q, k, v, geometry, segments, options);
    }

    public (Tensor GradQ, Tensor GradK, Tensor GradV) Backward(
        Tensor q, Tensor k, Tensor v, Tensor output, Tensor logSumExp, Tensor gradOutput, AttentionSegments segments, AttentionOptions options)
    {
        var geometry = AttentionGeometry.Of(q, k, v, segments);
        RequireCpuFloat(q, k, v, output, logSumExp, gradOutput);
        if (gradOutput.Shape != q.Shape) throw new ArgumentException($"attention backward: grad_output {gradOutput.Shape} must match the output shape {q.Shape}");
        if (logSumExp.Shape != new Shape(geometry.HeadsQ, geometry.TotalQ))
            throw new ArgumentException($"attention backward: log-sum-exp {logSumExp.Shape} must be [Hq, Tq] = [{geometry.HeadsQ}, {geometry.TotalQ}]");
        return q.DType == DType.F32
            ? Backward<float>(q, k, v, output, logSumExp, gradOutput, geometry, segments, options)
            : Backward<double>(q, k, v, output, logSumExp, gradOutput, geometry, segments, options);
    }

    private static void RequireCpuFloat(params Tensor[] tensors)
    {
        var dtype = tensors[0].DType;
        foreach (var t in tensors)
        {
            t.ThrowIfDisposed();
            if (!t.Device.IsCpu) throw new ArgumentException($"CPU fused attention got a tensor on {t.Device}");
            if (t.DType is not (DType.F32 or DType.F64))
                throw new NotSupportedException($"fused attention on the CPU computes in F32 or F64, got {t.DType.Name()} (cast with To(DType.F32) first)");
            if (t.DType != dtype) throw new ArgumentException($"fused attention inputs must share one dtype, got {dtype.Name()} and {t.DType.Name()}");
        }
    }

    private static (Tensor, Tensor) Forward<T>(Tensor q, Tensor k, Tensor v, AttentionGeometry g, AttentionSegments segments, AttentionOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var qData = Strided.Dense<T>(q);
        using var kData = Strided.Dense<T>(k);
        using var vData = Strided.Dense<T>(v);
        var result = CpuBackend.Output<T>(q.Shape, q.DType, out var output);
        var logSumExp = CpuBackend.Output<T>(new Shape(g.HeadsQ, g.TotalQ), q.DType, out var lse);
        var scale = T.CreateChecked(options.Scale);
        Parallel.For(0, segments.Count * g.HeadsQ, pair =>
        {
            var s = pair / g.HeadsQ;
            var h = pair % g.HeadsQ;
            var tile = new ForwardTile<T>(g.HeadDim);
            ForwardSegmentHead(qData, kData, vData, output, lse, g, segments, s, h, scale, options.Causal, tile);
        });
        return (result, logSumExp);
    }

    /// <summary>Scratch of one forward worker: Kᵀ of a key tile, a block of scores, accumulators, running max and sum.</summary>
    private sealed class ForwardTile<T>(int headDim)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly T[] KeysTransposed = new T[headDim * KeyBlock];
        public readonly T[] Scores = new T[QueryBlock * KeyBlock];
        public readonly T[] Accumulator = new T[QueryBlock * headDim];
        public readonly T[] RunningMax = new T[QueryBlock];
        public readonly T[] RunningSum = new T[QueryBlock];
    }

    private static void ForwardSegmentHead<T>(
        CpuBuffer<T> q, CpuBuffer<T> k, CpuBuffer<T> v, CpuBuffer<T> output, CpuBuffer<T> lse, AttentionGeometry g, AttentionSegments segments, int s, int h, T scale, bool causal, ForwardTile<T> tile)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (d, queryStride, keyStride, kvHead) = (g.HeadDim, g.QueryStride, g.KeyStride, h / g.Group);
        var (q0, _, lengthQ, ownKeys) = segments[s];
        var ranges = segments.KeyRanges(s);
        // Keys are numbered virtually over [prefix ; own keys]; the causal diagonal is taken on that concatenation.
        var lengthK = segments.KeyPrefix(s).Length + ownKeys;
        var diagonal = lengthK - lengthQ;
        for (var qb = 0; qb < lengthQ; qb += QueryBlock)
        {
            var rows = Math.Min(QueryBlock, lengthQ - qb);
            Array.Fill(tile.RunningMax, T.NegativeInfinity);
            Array.Clear(tile.RunningSum);
            Array.Clear(tile.Accumulator);
            var queries = q.AsSpan(g.QueryIndex(q0 + qb, h));
            var keyEnd = causal ? Math.Clamp(qb + rows + diagonal, 0, lengthK) : lengthK;
            foreach (var (rangeRow, rangeLength, rangeVirtual) in ranges)
                for (var local = 0; local < rangeLength && rangeVirtual + local < keyEnd; local += KeyBlock)
                {
                    var kb = rangeVirtual + local;
                    var cols = Math.Min(Math.Min(KeyBlock, rangeLength - local), keyEnd - kb);
                    var keyRow = g.KeyIndex(rangeRow + local, kvHead);
                    TileGemm.Transpose<T>(k.AsSpan(keyRow), cols, d, keyStride, tile.KeysTransposed, KeyBlock);
                    Array.Clear(tile.Scores);
                    TileGemm.MultiplyAdd<T>(rows, cols, d, queries, queryStride, 1, tile.KeysTransposed, KeyBlock, tile.Scores, KeyBlock);
                    for (var r = 0; r < rows; r++)
                    {
                        var visible = causal ? Math.Clamp(qb + r + diagonal + 1 - kb, 0, cols) : cols;
                        var scores = tile.Scores.AsSpan(r * KeyBlock, cols);
                        scores[visible..].Clear();
                        if (visible == 0) continue;
                        var live = scores[..visible];
                        TensorPrimitives.Multiply<T>(live, scale, live);
                        var previousMax = tile.RunningMax[r];
                        var newMax = T.Max(previousMax, TensorPrimitives.Max<T>(live));
                        if (previousMax != newMax && !T.IsNegativeInfinity(previousMax))
                        {
                            var correction = T.Exp(previousMax - newMax);
                            var accumulator = tile.Accumulator.AsSpan(r * d, d);
                            TensorPrimitives.Multiply(accumulator, correction, accumulator);
                            tile.RunningSum[r] *= correction;
                        }
                        TensorPrimitives.Subtract(live, newMax, live);
                        TensorPrimitives.Exp<T>(live, live);
                        tile.RunningSum[r] += TensorPrimitives.Sum<T>(live);
                        tile.RunningMax[r] = newMax;
                    }
                    TileGemm.MultiplyAdd<T>(rows, d, cols, tile.Scores, KeyBlock, 1, v.AsSpan(keyRow), keyStride, tile.Accumulator, d);
                }
            for (var r = 0; r < rows; r++)
            {
                var t = q0 + qb + r;
                var outRow = output.AsSpan(g.QueryIndex(t, h), d);
                var rowSum = tile.RunningSum[r];
                if (rowSum == T.Zero)
                {
                    outRow.Clear();
                    lse[(long)h * g.TotalQ + t] = T.NegativeInfinity;
                    continue;
                }
                TensorPrimitives.Multiply(tile.Accumulator.AsSpan(r * d, d), T.One / rowSum, outRow);
                lse[(long)h * g.TotalQ + t] = tile.RunningMax[r] + T.Log(rowSum);
            }
        }
    }
}
