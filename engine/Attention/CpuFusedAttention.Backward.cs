using System.Numerics;
using System.Numerics.Tensors;
using Tensor = StyleAlign.Engine.Core.Tensor;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;

namespace StyleAlign.Engine.Attention;

public sealed partial class CpuFusedAttention
{
    /// <summary>
    /// Recomputing backward, parallel over (segment, kv head): the worker owns the dK, dV rows of its kv head
    /// and the dQ rows of every query head in its group, so no two workers write one element and the result
    /// does not depend on scheduling. Per (i, j): P = exp(s·scale − L_i), dV_j += P·dO_i,
    /// dS = P·(dO_i·V_j − D_i) with D_i = dO_i·O_i, dQ_i += scale·dS·K_j, dK_j += scale·dS·Q_i.
    /// </summary>
    private static (Tensor, Tensor, Tensor) Backward<T>(
        Tensor q, Tensor k, Tensor v, Tensor output, Tensor logSumExp, Tensor gradOutput, AttentionGeometry g, AttentionSegments segments, AttentionOptions options)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var qData = Strided.Dense<T>(q);
        var kData = Strided.Dense<T>(k);
        var vData = Strided.Dense<T>(v);
        var oData = Strided.Dense<T>(output);
        var lse = Strided.Dense<T>(logSumExp);
        var dO = Strided.Dense<T>(gradOutput);
        var dQ = new T[qData.Length];
        var dK = new T[kData.Length];
        var dV = new T[vData.Length];
        var scale = T.CreateChecked(options.Scale);
        var buffers = new BackwardBuffers<T>(qData, kData, vData, oData, lse, dO, dQ, dK, dV);
        Parallel.For(0, segments.Count * g.HeadsKv, pair =>
        {
            var s = pair / g.HeadsKv;
            var kvHead = pair % g.HeadsKv;
            var rowDots = new T[segments.CuSeqlensQ[s + 1] - segments.CuSeqlensQ[s]];
            for (var h = kvHead * g.Group; h < (kvHead + 1) * g.Group; h++)
                BackwardSegmentHead(buffers, g, segments, s, h, scale, options.Causal, rowDots);
        });
        var dtype = q.DType;
        return (CpuBackend.Wrap(dQ, q.Shape, dtype), CpuBackend.Wrap(dK, k.Shape, dtype), CpuBackend.Wrap(dV, v.Shape, dtype));
    }

    private sealed record BackwardBuffers<T>(T[] Q, T[] K, T[] V, T[] O, T[] Lse, T[] GradO, T[] GradQ, T[] GradK, T[] GradV);

    private static void BackwardSegmentHead<T>(BackwardBuffers<T> b, AttentionGeometry g, AttentionSegments segments, int s, int h, T scale, bool causal, T[] rowDots)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = g.HeadDim;
        var q0 = segments.CuSeqlensQ[s];
        var k0 = segments.CuSeqlensK[s];
        var lengthQ = segments.CuSeqlensQ[s + 1] - q0;
        var lengthK = segments.CuSeqlensK[s + 1] - k0;
        var diagonal = lengthK - lengthQ;
        var kvHead = h / g.Group;
        for (var i = 0; i < lengthQ; i++)
        {
            var row = g.QueryIndex(q0 + i, h);
            rowDots[i] = TensorPrimitives.Dot<T>(b.GradO.AsSpan(row, d), b.O.AsSpan(row, d));
        }
        for (var kb = 0; kb < lengthK; kb += KeyBlock)
        {
            var cols = Math.Min(KeyBlock, lengthK - kb);
            var firstRow = causal ? Math.Max(0, kb - diagonal) : 0;
            for (var i = firstRow; i < lengthQ; i++)
            {
                var rowLse = b.Lse[(long)h * g.TotalQ + q0 + i];
                if (T.IsNegativeInfinity(rowLse)) continue;
                var visible = causal ? Math.Min(cols, i + diagonal + 1 - kb) : cols;
                var row = g.QueryIndex(q0 + i, h);
                var queryRow = b.Q.AsSpan(row, d);
                var gradOutRow = b.GradO.AsSpan(row, d);
                var gradQueryRow = b.GradQ.AsSpan(row, d);
                var rowDot = rowDots[i];
                for (var c = 0; c < visible; c++)
                {
                    var key = g.KeyIndex(k0 + kb + c, kvHead);
                    var keyRow = b.K.AsSpan(key, d);
                    var p = T.Exp(TensorPrimitives.Dot<T>(queryRow, keyRow) * scale - rowLse);
                    var gradValueRow = b.GradV.AsSpan(key, d);
                    TensorPrimitives.MultiplyAdd(gradOutRow, p, gradValueRow, gradValueRow);
                    var gradScore = p * (TensorPrimitives.Dot<T>(gradOutRow, b.V.AsSpan(key, d)) - rowDot) * scale;
                    TensorPrimitives.MultiplyAdd(keyRow, gradScore, gradQueryRow, gradQueryRow);
                    var gradKeyRow = b.GradK.AsSpan(key, d);
                    TensorPrimitives.MultiplyAdd(queryRow, gradScore, gradKeyRow, gradKeyRow);
                }
            }
        }
    }
}
