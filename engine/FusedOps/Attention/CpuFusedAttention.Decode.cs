using System.Numerics;
using System.Numerics.Tensors;
using Tensor = StyleAlign.Engine.Core.Tensor;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;

namespace StyleAlign.Engine.FusedOps.Attention;

public sealed partial class CpuFusedAttention
{
    /// <summary>Generation step: each sequence's one new query against its first lengths[b] cached keys.</summary>
    public Tensor Decode(Tensor q, Tensor kCache, Tensor vCache, int[] lengths, double scale)
    {
        RequireCpuFloat(q, kCache, vCache);
        var headsKv = AttentionGeometry.OfDecode(q, kCache, vCache, lengths).HeadsKv;
        return q.DType == DType.F32
            ? Decode<float>(q, kCache, vCache, lengths, scale, headsKv)
            : Decode<double>(q, kCache, vCache, lengths, scale, headsKv);
    }

    private static Tensor Decode<T>(Tensor q, Tensor kCache, Tensor vCache, int[] lengths, double scale, int headsKv)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (batch, headsQ, d) = (q.Shape[0], q.Shape[1], q.Shape[2]);
        var maxTokens = kCache.Shape[1];
        var group = headsQ / headsKv;
        using var qData = Strided.Dense<T>(q);
        using var kData = Strided.Dense<T>(kCache);
        using var vData = Strided.Dense<T>(vCache);
        var result = CpuBackend.Output<T>(q.Shape, q.DType, out var output, zero: true);
        var typedScale = T.CreateChecked(scale);
        Parallel.For(0, batch * headsQ, pair =>
        {
            var b = pair / headsQ;
            var h = pair % headsQ;
            var queryRow = qData.AsSpan(pair * d, d);
            var outRow = output.AsSpan(pair * d, d);
            var runningMax = T.NegativeInfinity;
            var runningSum = T.Zero;
            for (var t = 0; t < lengths[b]; t++)
            {
                var key = ((b * maxTokens + t) * headsKv + h / group) * d;
                var score = TensorPrimitives.Dot<T>(queryRow, kData.AsSpan(key, d)) * typedScale;
                if (score > runningMax)
                {
                    var correction = T.IsNegativeInfinity(runningMax) ? T.Zero : T.Exp(runningMax - score);
                    TensorPrimitives.Multiply(outRow, correction, outRow);
                    runningSum *= correction;
                    runningMax = score;
                }
                var p = T.Exp(score - runningMax);
                runningSum += p;
                TensorPrimitives.MultiplyAdd(vData.AsSpan(key, d), p, outRow, outRow);
            }
            if (runningSum > T.Zero) TensorPrimitives.Multiply(outRow, T.One / runningSum, outRow);
        });
        return result;
    }
}
