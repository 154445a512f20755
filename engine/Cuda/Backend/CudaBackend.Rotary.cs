using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cuda.Backend;

// Rotate-half rotary embedding; broadcast cos/sin tables are expanded to x's shape once.
public sealed partial class CudaBackend
{
    public Tensor Rotary(Tensor x, Tensor cos, Tensor sin, bool inverse)
    {
        KernelFamily.FloatSuffix(x.DType, "rotary");
        if (cos.DType != x.DType || sin.DType != x.DType) throw new ArgumentException($"rotary: cos {cos.DType} and sin {sin.DType} must match x {x.DType}");
        if (x.Rank == 0 || x.Shape[^1] % 2 != 0) throw new ArgumentException($"rotary needs an even last dim, got {x.Shape}");
        var y = NewTensor(x.Shape, x.DType);
        if (x.NumElements == 0) return y;
        using var scratch = new Scratch(this);
        var xd = scratch.Dense(x);
        // The kernel reads dense per-row tables, so broadcast cos/sin are expanded to x's shape once.
        var cd = scratch.DenseOf(cos, ExpandFor(cos, x.Shape, "cos"));
        var sd = scratch.DenseOf(sin, ExpandFor(sin, x.Shape, "sin"));
        long d = x.Shape[^1], rows = x.NumElements / d;
        _rope.Apply(x.DType, inverse, batch: 1, heads: 1, tokens: rows, headDim: d, batchStride: 0, headStride: 0, tokenStride: d,
            Address(xd), Address(cd), Address(sd), Address(y), roundProducts: false);
        return y;
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
}
