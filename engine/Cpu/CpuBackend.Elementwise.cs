using System.Numerics;
using System.Numerics.Tensors;
using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cpu;

public sealed partial class CpuBackend
{
    private const double SqrtTwoOverPi = 0.7978845608028654;
    private const double GeluTanhCubic = 0.044715;
    private const double QuickGeluScale = 1.702;
    private const double InvSqrtTwo = 0.7071067811865476;
    private const double InvSqrtTwoPi = 0.3989422804014327;

    public Tensor Unary(UnaryKind kind, Tensor x, double alpha = 0)
    {
        RequireFloat(x, $"unary {kind}");
        return x.DType == DType.F32
            ? Wrap(UnaryImpl(kind, Strided.Dense<float>(x), (float)alpha), x.Shape)
            : Wrap(UnaryImpl(kind, Strided.Dense<double>(x), alpha), x.Shape);
    }

    /// <summary>gradY · f'(x) for the unary function f, in one pass.</summary>
    public Tensor UnaryBackward(UnaryKind kind, Tensor x, Tensor gradY, double alpha)
    {
        RequireFloat(x, $"unary {kind} backward");
        if (x.Shape != gradY.Shape) throw new ArgumentException($"gradient {gradY.Shape} does not match input {x.Shape}");
        return x.DType == DType.F32
            ? Wrap(UnaryGradImpl(kind, Strided.Dense<float>(x), Strided.Dense<float>(gradY), (float)alpha), x.Shape)
            : Wrap(UnaryGradImpl(kind, Strided.Dense<double>(x), Strided.Dense<double>(gradY), alpha), x.Shape);
    }

    private static T[] UnaryImpl<T>(UnaryKind kind, T[] x, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[x.Length];
        switch (kind)
        {
            case UnaryKind.Neg: TensorPrimitives.Negate<T>(x, y); break;
            case UnaryKind.Exp: TensorPrimitives.Exp<T>(x, y); break;
            case UnaryKind.Log: TensorPrimitives.Log<T>(x, y); break;
            case UnaryKind.Sqrt: TensorPrimitives.Sqrt<T>(x, y); break;
            case UnaryKind.Rsqrt: TensorPrimitives.ReciprocalSqrt<T>(x, y); break;
            case UnaryKind.Tanh: TensorPrimitives.Tanh<T>(x, y); break;
            case UnaryKind.Sigmoid: TensorPrimitives.Sigmoid<T>(x, y); break;
            case UnaryKind.Abs: TensorPrimitives.Abs<T>(x, y); break;
            case UnaryKind.Scale: TensorPrimitives.Multiply<T>(x, alpha, y); break;
            case UnaryKind.AddScalar: TensorPrimitives.Add<T>(x, alpha, y); break;
            case UnaryKind.Square: TensorPrimitives.Multiply<T>(x, x, y); break;
            case UnaryKind.Sin: TensorPrimitives.Sin<T>(x, y); break;
            case UnaryKind.Cos: TensorPrimitives.Cos<T>(x, y); break;
            case UnaryKind.Pow: TensorPrimitives.Pow<T>(x, alpha, y); break;
            case UnaryKind.Relu: TensorPrimitives.Max<T>(x, T.Zero, y); break;
            case UnaryKind.Silu:
                TensorPrimitives.Sigmoid<T>(x, y);
                TensorPrimitives.Multiply<T>(x, y, y);
                break;
            case UnaryKind.QuickGelu:
                TensorPrimitives.Multiply<T>(x, T.CreateTruncating(QuickGeluScale), y);
                TensorPrimitives.Sigmoid<T>(y, y);
                TensorPrimitives.Multiply<T>(x, y, y);
                break;
            case UnaryKind.GeluErf:
                Parallel.For(0, x.Length, ParallelChunk(x.Length), i =>
                {
                    var v = double.CreateTruncating(x[i]);
                    y[i] = T.CreateTruncating(0.5 * v * (1 + SpecialFunctions.Erf(v * InvSqrtTwo)));
                });
                break;
            case UnaryKind.GeluTanh:
                for (var i = 0; i < x.Length; i++)
                {
                    var v = x[i];
                    var u = T.CreateTruncating(SqrtTwoOverPi) * (v + T.CreateTruncating(GeluTanhCubic) * v * v * v);
                    y[i] = T.CreateTruncating(0.5) * v * (T.One + T.Tanh(u));
                }
                break;
            default: throw new NotSupportedException($"unary {kind}");
        }
        return y;
    }

    private static T[] UnaryGradImpl<T>(UnaryKind kind, T[] x, T[] g, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new T[x.Length];
        var half = T.CreateTruncating(0.5);
        for (var i = 0; i < x.Length; i++)
        {
            var v = x[i];
            T d;
            switch (kind)
            {
                case UnaryKind.Neg: d = -T.One; break;
                case UnaryKind.Exp: d = T.Exp(v); break;
                case UnaryKind.Log: d = T.One / v; break;
                case UnaryKind.Sqrt: d = half / T.Sqrt(v); break;
                case UnaryKind.Rsqrt: d = -half / (v * T.Sqrt(v)); break;
                case UnaryKind.Tanh:
                    {
                        var t = T.Tanh(v);
                        d = T.One - t * t;
                        break;
                    }
                case UnaryKind.Sigmoid:
                    {
                        var s = Sigmoid(v);
                        d = s * (T.One - s);
                        break;
                    }
                case UnaryKind.Silu:
                    {
                        var s = Sigmoid(v);
                        d = s * (T.One + v * (T.One - s));
                        break;
                    }
                case UnaryKind.QuickGelu:
                    {
                        var a = T.CreateTruncating(QuickGeluScale);
                        var s = Sigmoid(a * v);
                        d = s + a * v * s * (T.One - s);
                        break;
                    }
                case UnaryKind.GeluErf:
                    {
                        var xv = double.CreateTruncating(v);
                        d = T.CreateTruncating(0.5 * (1 + SpecialFunctions.Erf(xv * InvSqrtTwo)) + xv * InvSqrtTwoPi * Math.Exp(-0.5 * xv * xv));
                        break;
                    }
                case UnaryKind.GeluTanh:
                    {
                        var c = T.CreateTruncating(SqrtTwoOverPi);
                        var k = T.CreateTruncating(GeluTanhCubic);
                        var t = T.Tanh(c * (v + k * v * v * v));
                        d = half * (T.One + t) + half * v * (T.One - t * t) * c * (T.One + T.CreateTruncating(3) * k * v * v);
                        break;
                    }
                case UnaryKind.Relu: d = v > T.Zero ? T.One : T.Zero; break;
                case UnaryKind.Abs: d = v > T.Zero ? T.One : v < T.Zero ? -T.One : T.Zero; break;
                case UnaryKind.Pow: d = alpha * T.Pow(v, alpha - T.One); break;
                case UnaryKind.Scale: d = alpha; break;
                case UnaryKind.AddScalar: d = T.One; break;
                case UnaryKind.Square: d = T.CreateTruncating(2) * v; break;
                case UnaryKind.Sin: d = T.Cos(v); break;
                case UnaryKind.Cos: d = -T.Sin(v); break;
                default: throw new NotSupportedException($"unary {kind} backward");
            }
            r[i] = g[i] * d;
        }
        return r;
    }

    private static T Sigmoid<T>(T v)
        where T : IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-v));

    private static ParallelOptions ParallelChunk(int n) => new() { MaxDegreeOfParallelism = n < 1 << 14 ? 1 : Environment.ProcessorCount };

    public Tensor Binary(BinaryKind kind, Tensor a, Tensor b)
    {
        RequireFloat(a, $"binary {kind}");
        RequireFloat(b, $"binary {kind}");
        if (a.DType != b.DType) throw new ArgumentException($"binary {kind} of {a.DType} and {b.DType}: cast one first");
        var shape = Shape.Broadcast(a.Shape, b.Shape);
        if (kind.IsComparison())
            return a.DType == DType.F32 ? Wrap(CompareImpl<float>(kind, a, b, shape), shape, DType.Bool) : Wrap(CompareImpl<double>(kind, a, b, shape), shape, DType.Bool);
        return a.DType == DType.F32
            ? Wrap(BinaryImpl<float>(kind, a, b, shape), shape)
            : Wrap(BinaryImpl<double>(kind, a, b, shape), shape);
    }

    private static T[] BinaryImpl<T>(BinaryKind kind, Tensor a, Tensor b, Shape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var la = a.Layout.Expand(shape);
        var lb = b.Layout.Expand(shape);
        var da = a.CpuStorage().As<T>();
        var db = b.CpuStorage().As<T>();
        var y = new T[shape.NumElements];
        if (y.Length == 0) return y;
        var n = Strided.InnerLength(la);
        var sa = Strided.InnerStride(la);
        var sb = Strided.InnerStride(lb);
        var rowsA = Strided.RowOffsets(la);
        var rowsB = Strided.RowOffsets(lb);
        for (var r = 0; r < rowsA.Length; r++)
        {
            var dst = y.AsSpan(r * n, n);
            if (sa == 1 && sb == 1) BinarySpan(kind, da.AsSpan((int)rowsA[r], n), db.AsSpan((int)rowsB[r], n), dst);
            else
                for (var j = 0; j < n; j++) dst[j] = BinaryScalar(kind, da[rowsA[r] + j * sa], db[rowsB[r] + j * sb]);
        }
        return y;
    }

    private static void BinarySpan<T>(BinaryKind kind, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case BinaryKind.Add: TensorPrimitives.Add(a, b, y); break;
            case BinaryKind.Sub: TensorPrimitives.Subtract(a, b, y); break;
            case BinaryKind.Mul: TensorPrimitives.Multiply(a, b, y); break;
            case BinaryKind.Div: TensorPrimitives.Divide(a, b, y); break;
            default:
                for (var j = 0; j < y.Length; j++) y[j] = BinaryScalar(kind, a[j], b[j]);
                break;
        }
    }

    private static T BinaryScalar<T>(BinaryKind kind, T a, T b)
        where T : IFloatingPointIeee754<T> => kind switch
        {
            BinaryKind.Add => a + b,
            BinaryKind.Sub => a - b,
            BinaryKind.Mul => a * b,
            BinaryKind.Div => a / b,
            // NaN propagates, as in torch.maximum / torch.minimum.
            BinaryKind.Maximum => T.IsNaN(a) || T.IsNaN(b) ? T.NaN : T.Max(a, b),
            BinaryKind.Minimum => T.IsNaN(a) || T.IsNaN(b) ? T.NaN : T.Min(a, b),
            _ => throw new NotSupportedException($"binary {kind}"),
        };

    private static byte[] CompareImpl<T>(BinaryKind kind, Tensor a, Tensor b, Shape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var va = Strided.Dense<T>(a.Backend.Contiguous(a.ViewAs(a.Layout.Expand(shape))));
        var vb = Strided.Dense<T>(b.Backend.Contiguous(b.ViewAs(b.Layout.Expand(shape))));
        var y = new byte[va.Length];
        for (var i = 0; i < y.Length; i++)
        {
            var r = kind switch
            {
                BinaryKind.Equal => va[i] == vb[i],
                BinaryKind.NotEqual => va[i] != vb[i],
                BinaryKind.Less => va[i] < vb[i],
                BinaryKind.LessEqual => va[i] <= vb[i],
                BinaryKind.Greater => va[i] > vb[i],
                BinaryKind.GreaterEqual => va[i] >= vb[i],
                _ => throw new NotSupportedException($"comparison {kind}"),
            };
            y[i] = r ? (byte)1 : (byte)0;
        }
        return y;
    }

    public Tensor Clamp(Tensor x, double min, double max)
    {
        RequireFloat(x, "clamp");
        if (x.DType == DType.F32)
        {
            var v = Strided.Dense<float>(x);
            var y = new float[v.Length];
            for (var i = 0; i < v.Length; i++) y[i] = float.IsNaN(v[i]) ? v[i] : Math.Clamp(v[i], (float)min, (float)max);
            return Wrap(y, x.Shape);
        }
        var w = Strided.Dense<double>(x);
        var z = new double[w.Length];
        for (var i = 0; i < w.Length; i++) z[i] = double.IsNaN(w[i]) ? w[i] : Math.Clamp(w[i], min, max);
        return Wrap(z, x.Shape);
    }

    public Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        if (condition.DType is not (DType.Bool or DType.U8)) throw new ArgumentException($"where() needs a Bool condition, got {condition.DType}");
        if (a.DType != b.DType) throw new ArgumentException($"where() of {a.DType} and {b.DType}");
        var shape = Shape.Broadcast(Shape.Broadcast(condition.Shape, a.Shape), b.Shape);
        var c = Strided.Dense<byte>(Contiguous(condition.ViewAs(condition.Layout.Expand(shape))));
        return a.DType switch
        {
            DType.F32 => Wrap(Select(c, Strided.Dense<float>(Contiguous(a.ViewAs(a.Layout.Expand(shape)))), Strided.Dense<float>(Contiguous(b.ViewAs(b.Layout.Expand(shape))))), shape),
            DType.F64 => Wrap(Select(c, Strided.Dense<double>(Contiguous(a.ViewAs(a.Layout.Expand(shape)))), Strided.Dense<double>(Contiguous(b.ViewAs(b.Layout.Expand(shape))))), shape),
            DType.I64 => Wrap(Select(c, Strided.Dense<long>(Contiguous(a.ViewAs(a.Layout.Expand(shape)))), Strided.Dense<long>(Contiguous(b.ViewAs(b.Layout.Expand(shape))))), shape, DType.I64),
            _ => throw new NotSupportedException($"where() on {a.DType}"),
        };
    }

    private static T[] Select<T>(byte[] c, T[] a, T[] b)
    {
        var y = new T[c.Length];
        for (var i = 0; i < y.Length; i++) y[i] = c[i] != 0 ? a[i] : b[i];
        return y;
    }
}
