using System.Numerics;
using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cpu;

// Rotate-half ("split halves") rotary embedding: element j pairs with j + D/2.
//   forward:  y₁ = x₁·c₁ − x₂·s₁,   y₂ = x₂·c₂ + x₁·s₂        (y = x·cos + rotate_half(x)·sin)
//   inverse:  z₁ = g₁·c₁ + g₂·s₂,   z₂ = g₂·c₂ − g₁·s₁        (the transpose of the forward map)
// cos/sin broadcast to x's shape through stride-0 views, so no expanded table is materialized.
public sealed partial class CpuBackend
{
    public Tensor Rotary(Tensor x, Tensor cos, Tensor sin, bool inverse)
    {
        RequireFloat(x, "rotary");
        RequireFloat(cos, "rotary");
        RequireFloat(sin, "rotary");
        if (cos.DType != x.DType || sin.DType != x.DType) throw new ArgumentException($"rotary: cos {cos.DType} and sin {sin.DType} must match x {x.DType}");
        if (x.Rank == 0 || x.Shape[^1] % 2 != 0) throw new ArgumentException($"rotary needs an even last dim, got {x.Shape}");
        var layoutCos = ExpandFor(cos, x.Shape, "cos");
        var layoutSin = ExpandFor(sin, x.Shape, "sin");
        return x.DType == DType.F32
            ? Wrap(RotaryImpl<float>(x, cos, sin, layoutCos, layoutSin, inverse), x.Shape)
            : Wrap(RotaryImpl<double>(x, cos, sin, layoutCos, layoutSin, inverse), x.Shape);
    }

    private static Layout ExpandFor(Tensor t, Shape shape, string name)
    {
        try
        {
            return t.Layout.Expand(shape);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"rotary: {name} {t.Shape} does not broadcast to x {shape}", e);
        }
    }

    private static T[] RotaryImpl<T>(Tensor x, Tensor cos, Tensor sin, Layout lc, Layout ls, bool inverse)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var xs = Strided.Dense<T>(x);
        var cs = cos.CpuStorage.As<T>();
        var ss = sin.CpuStorage.As<T>();
        var rowsC = Strided.RowOffsets(lc);
        var rowsS = Strided.RowOffsets(ls);
        var strideC = Strided.InnerStride(lc);
        var strideS = Strided.InnerStride(ls);
        var d = x.Shape[^1];
        var h = d / 2;
        var y = new T[xs.Length];
        Parallel.For(0, rowsC.Length, ParallelChunk(xs.Length), r =>
        {
            var xo = r * d;
            var co = rowsC[r];
            var so = rowsS[r];
            for (var j = 0; j < h; j++)
            {
                var x1 = xs[xo + j];
                var x2 = xs[xo + j + h];
                var c1 = cs[co + j * strideC];
                var c2 = cs[co + (j + h) * strideC];
                var s1 = ss[so + j * strideS];
                var s2 = ss[so + (j + h) * strideS];
                if (inverse)
                {
                    y[xo + j] = x1 * c1 + x2 * s2;
                    y[xo + j + h] = x2 * c2 - x1 * s1;
                }
                else
                {
                    y[xo + j] = x1 * c1 - x2 * s1;
                    y[xo + j + h] = x2 * c2 + x1 * s2;
                }
            }
        });
        return y;
    }
}
