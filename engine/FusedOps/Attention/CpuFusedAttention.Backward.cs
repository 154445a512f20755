using System.Numerics;
using System.Numerics.Tensors;
using Tensor = StyleAlign.Engine.Core.Tensor;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;

namespace StyleAlign.Engine.FusedOps.Attention;

public sealed partial class CpuFusedAttention
{
    /// <summary>
    /// Recomputing backward, parallel over (key group, kv head): the worker owns the dK, dV rows of its kv head in
    /// every segment of the group (segments that share key rows through a prefix form one group, see
    /// <see cref="AttentionSegments.KeyGroups"/>) and the dQ rows of every query head in its kv group, so no two
    /// workers write one element and the result does not depend on scheduling. Per (query tile i, key tile j): S = Q_i·K_jᵀ, P = exp(S·scale − L),
    /// dP = dO_i·V_jᵀ, dS = P∘(dP − D)·scale with D = rowsum(dO∘O), dV_j += Pᵀ·dO_i, dK_j += dSᵀ·Q_i,
    /// dQ_i += dS·K_j.
    /// </summary>
    private static (Tensor, Tensor, Tensor) Backward<T>(
        Tensor q, Tensor k, Tensor v, Tensor output, Tensor logSumExp, Tensor gradOutput, AttentionGeometry g, AttentionSegments segments, AttentionOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gradQ = CpuBackend.Output<T>(q.Shape, q.DType, out var dq, zero: true);
        var gradK = CpuBackend.Output<T>(k.Shape, k.DType, out var dk, zero: true);
        var gradV = CpuBackend.Output<T>(v.Shape, v.DType, out var dv, zero: true);
        using var qData = Strided.Dense<T>(q);
        using var kData = Strided.Dense<T>(k);
        using var vData = Strided.Dense<T>(v);
        using var oData = Strided.Dense<T>(output);
        using var lseData = Strided.Dense<T>(logSumExp);
        using var gradOData = Strided.Dense<T>(gradOutput);
        var b = new BackwardBuffers<T>(qData, kData, vData, oData, lseData, gradOData, dq, dk, dv);
        var scale = T.CreateChecked(options.Scale);
        var groups = segments.KeyGroups;
        Parallel.For(0, groups.Count * g.HeadsKv, pair =>
        {
            var group = groups[pair / g.HeadsKv];
            var kvHead = pair % g.HeadsKv;
            var tile = new BackwardTile<T>(g.HeadDim, group.Max(s => segments[s].LengthQ));
            foreach (var s in group)
                for (var h = kvHead * g.Group; h < (kvHead + 1) * g.Group; h++)
                    BackwardSegmentHead(b, g, segments, s, h, scale, options.Causal, tile);
        });
        return (gradQ, gradK, gradV);
    }

    private sealed record BackwardBuffers<T>(
        CpuBuffer<T> Q, CpuBuffer<T> K, CpuBuffer<T> V, CpuBuffer<T> O, CpuBuffer<T> Lse, CpuBuffer<T> GradO, CpuBuffer<T> GradQ, CpuBuffer<T> GradK, CpuBuffer<T> GradV)
        where T : unmanaged;

    /// <summary>Scratch of one backward worker: Kᵀ and Vᵀ of a key tile, P and dP (then dS) tiles, the row dots D.</summary>
    private sealed class BackwardTile<T>(int headDim, int segmentLength)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public readonly T[] KeysTransposed = new T[headDim * KeyBlock];
        public readonly T[] ValuesTransposed = new T[headDim * KeyBlock];
        public readonly T[] Probabilities = new T[QueryBlock * KeyBlock];
        public readonly T[] GradScores = new T[QueryBlock * KeyBlock];
        public readonly T[] RowDots = new T[segmentLength];
    }

    private static void BackwardSegmentHead<T>(BackwardBuffers<T> b, AttentionGeometry g, AttentionSegments segments, int s, int h, T scale, bool causal, BackwardTile<T> tile)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (d, queryStride, keyStride, kvHead) = (g.HeadDim, g.QueryStride, g.KeyStride, h / g.Group);
        var (q0, _, lengthQ, ownKeys) = segments[s];
        var diagonal = segments.KeyPrefix(s).Length + ownKeys - lengthQ;
        for (var i = 0; i < lengthQ; i++)
        {
            var row = g.QueryIndex(q0 + i, h);
            tile.RowDots[i] = TensorPrimitives.Dot<T>(b.GradO.AsSpan(row, d), b.O.AsSpan(row, d));
        }
        foreach (var (rangeRow, rangeLength, rangeVirtual) in segments.KeyRanges(s))
            for (var local = 0; local < rangeLength; local += KeyBlock)
            {
                // kb is the tile's first key in the segment's virtual [prefix ; own keys] numbering.
                var kb = rangeVirtual + local;
                var cols = Math.Min(KeyBlock, rangeLength - local);
                var keyRow = g.KeyIndex(rangeRow + local, kvHead);
                TileGemm.Transpose<T>(b.K.AsSpan(keyRow), cols, d, keyStride, tile.KeysTransposed, KeyBlock);
                TileGemm.Transpose<T>(b.V.AsSpan(keyRow), cols, d, keyStride, tile.ValuesTransposed, KeyBlock);
                var firstQuery = causal ? Math.Max(0, kb - diagonal) / QueryBlock * QueryBlock : 0;
                for (var qb = firstQuery; qb < lengthQ; qb += QueryBlock)
                {
                    var rows = Math.Min(QueryBlock, lengthQ - qb);
                    var queryRow = g.QueryIndex(q0 + qb, h);
                    var p = tile.Probabilities;
                    var dS = tile.GradScores;
                    Array.Clear(p);
                    Array.Clear(dS);
                    TileGemm.MultiplyAdd<T>(rows, cols, d, b.Q.AsSpan(queryRow), queryStride, 1, tile.KeysTransposed, KeyBlock, p, KeyBlock);
                    TileGemm.MultiplyAdd<T>(rows, cols, d, b.GradO.AsSpan(queryRow), queryStride, 1, tile.ValuesTransposed, KeyBlock, dS, KeyBlock);
                    for (var r = 0; r < rows; r++)
                    {
                        var i = qb + r;
                        var rowLse = b.Lse[(long)h * g.TotalQ + q0 + i];
                        var visible = T.IsNegativeInfinity(rowLse) ? 0 : causal ? Math.Clamp(i + diagonal + 1 - kb, 0, cols) : cols;
                        var probabilities = p.AsSpan(r * KeyBlock, cols);
                        var gradScores = dS.AsSpan(r * KeyBlock, cols);
                        probabilities[visible..].Clear();
                        gradScores[visible..].Clear();
                        if (visible == 0) continue;
                        var live = probabilities[..visible];
                        TensorPrimitives.Multiply<T>(live, scale, live);
                        TensorPrimitives.Subtract(live, rowLse, live);
                        TensorPrimitives.Exp<T>(live, live);
                        var liveGrad = gradScores[..visible];
                        TensorPrimitives.Subtract(liveGrad, tile.RowDots[i], liveGrad);
                        TensorPrimitives.Multiply<T>(liveGrad, live, liveGrad);
                        TensorPrimitives.Multiply<T>(liveGrad, scale, liveGrad);
                    }
                    TileGemm.MultiplyAdd<T>(cols, d, rows, p, 1, KeyBlock, b.GradO.AsSpan(queryRow), queryStride, b.GradV.AsSpan(keyRow), keyStride);
                    TileGemm.MultiplyAdd<T>(cols, d, rows, dS, 1, KeyBlock, b.Q.AsSpan(queryRow), queryStride, b.GradK.AsSpan(keyRow), keyStride);
                    TileGemm.MultiplyAdd<T>(rows, d, cols, dS, KeyBlock, 1, b.K.AsSpan(keyRow), keyStride, b.GradQ.AsSpan(queryRow), queryStride);
                }
            }
    }
}
