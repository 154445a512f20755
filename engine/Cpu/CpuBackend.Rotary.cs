using System.Numerics;
using System.Numerics.Tensors;
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
            ? RotaryImpl<float>(x, cos, sin, layoutCos, layoutSin, inverse)
            : RotaryImpl<double>(x, cos, sin, layoutCos, layoutSin, inverse);
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

    private static Tensor RotaryImpl<T>(Tensor x, Tensor cos, Tensor sin, Layout lc, Layout ls, bool inverse)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var xs = Strided.Dense<T>(x);
        var cs = Strided.Elements<T>(cos);
        var ss = Strided.Elements<T>(sin);
        var rowsC = Strided.RowOffsets(lc);
        var rowsS = Strided.RowOffsets(ls);
        var strideC = Strided.InnerStride(lc);
        var strideS = Strided.InnerStride(ls);
        var d = x.Shape[^1];
        var h = d / 2;
        var output = Output<T>(x.Shape, x.DType, out var y);
        Parallel.For(0, rowsC.Length, ParallelChunk(xs.Length), r =>
        {
            ReadOnlySpan<T> x1 = xs.AsSpan((long)r * d, h);
            ReadOnlySpan<T> x2 = xs.AsSpan((long)r * d + h, h);
            var y1 = y.AsSpan((long)r * d, h);
            var y2 = y.AsSpan((long)r * d + h, h);
            // Broadcast or strided tables are copied into a row buffer; dense ones are read in place.
            ReadOnlySpan<T> c = strideC == 1 ? cs.AsSpan(rowsC[r], d) : RowOf(cs, rowsC[r], strideC, d);
            ReadOnlySpan<T> s = strideS == 1 ? ss.AsSpan(rowsS[r], d) : RowOf(ss, rowsS[r], strideS, d);
            var c1 = c[..h];
            var c2 = c[h..];
            var s1 = s[..h];
            var s2 = s[h..];
            if (inverse)
            {
                TensorPrimitives.Multiply(x2, s2, y1);
                TensorPrimitives.MultiplyAdd(x1, c1, y1, y1);
                TensorPrimitives.Multiply(x1, s1, y2);
                TensorPrimitives.Negate<T>(y2, y2);
                TensorPrimitives.MultiplyAdd(x2, c2, y2, y2);
            }
            else
            {
                TensorPrimitives.Multiply(x2, s1, y1);
                TensorPrimitives.Negate<T>(y1, y1);
                TensorPrimitives.MultiplyAdd(x1, c1, y1, y1);
                TensorPrimitives.Multiply(x2, c2, y2);
                TensorPrimitives.MultiplyAdd(x1, s2, y2, y2);
            }
        });
        return output;
    }

    private static T[] RowOf<T>(CpuBuffer<T> data, long start, long stride, int length)
        where T : unmanaged
    {
        var row = new T[length];
        for (var j = 0; j < length; j++) row[j] = data[start + j * stride];
        return row;
    }
}
