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
        return x.DType == DType.F32 ? UnaryImpl(kind, x, (float)alpha) : UnaryImpl(kind, x, alpha);
    }

    /// <summary>gradY · f'(x) for the unary function f, in one pass.</summary>
    public Tensor UnaryBackward(UnaryKind kind, Tensor x, Tensor gradY, double alpha)
    {
        RequireFloat(x, $"unary {kind} backward");
        if (x.Shape != gradY.Shape) throw new ArgumentException($"gradient {gradY.Shape} does not match input {x.Shape}");
        return x.DType == DType.F32 ? UnaryGradImpl(kind, x, gradY, (float)alpha) : UnaryGradImpl(kind, x, gradY, alpha);
    }

    private static Tensor UnaryImpl<T>(UnaryKind kind, Tensor input, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var x = Strided.Dense<T>(input);
        var output = Output<T>(input.Shape, input.DType, out var y);
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
        return output;
    }

    private static Tensor UnaryGradImpl<T>(UnaryKind kind, Tensor input, Tensor gradY, T alpha)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var x = Strided.Dense<T>(input);
        using var g = Strided.Dense<T>(gradY);
        var output = Output<T>(input.Shape, input.DType, out var r);
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
        return output;
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
            return a.DType == DType.F32 ? CompareImpl<float>(kind, a, b, shape) : CompareImpl<double>(kind, a, b, shape);
        return a.DType == DType.F32 ? BinaryImpl<float>(kind, a, b, shape) : BinaryImpl<double>(kind, a, b, shape);
    }

    private static Tensor BinaryImpl<T>(BinaryKind kind, Tensor a, Tensor b, Shape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var la = a.Layout.Expand(shape);
        var lb = b.Layout.Expand(shape);
        var da = Strided.Elements<T>(a);
        var db = Strided.Elements<T>(b);
        var output = Output<T>(shape, a.DType, out var y);
        if (y.Length == 0) return output;
        var n = Strided.InnerLength(la);
        var sa = Strided.InnerStride(la);
        var sb = Strided.InnerStride(lb);
        var rowsA = Strided.RowOffsets(la);
        var rowsB = Strided.RowOffsets(lb);
        for (var r = 0; r < rowsA.Length; r++)
        {
            var dst = y.AsSpan(r * n, n);
            if (sa == 1 && sb == 1) BinarySpan(kind, da.AsSpan(rowsA[r], n), db.AsSpan(rowsB[r], n), dst);
            else
                for (var j = 0; j < n; j++) dst[j] = BinaryScalar(kind, da[rowsA[r] + j * sa], db[rowsB[r] + j * sb]);
        }
        return output;
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

    private Tensor CompareImpl<T>(BinaryKind kind, Tensor a, Tensor b, Shape shape)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var va = Broadcast<T>(a, shape);
        using var vb = Broadcast<T>(b, shape);
        var output = Output<byte>(shape, DType.Bool, out var y);
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
        return output;
    }

    /// <summary>x broadcast to the shape, as a dense buffer it owns.</summary>
    private static CpuBuffer<T> Broadcast<T>(Tensor x, Shape shape)
        where T : unmanaged
    {
        using var view = x.ViewAs(x.Layout.Expand(shape));
        return Strided.Dense<T>(view);
    }

    public Tensor Clamp(Tensor x, double min, double max)
    {
        RequireFloat(x, "clamp");
        if (x.DType == DType.F32)
        {
            using var v = Strided.Dense<float>(x);
            var result = Output(x.Shape, out CpuBuffer<float> y);
            for (var i = 0; i < v.Length; i++) y[i] = float.IsNaN(v[i]) ? v[i] : Math.Clamp(v[i], (float)min, (float)max);
            return result;
        }
        using var w = Strided.Dense<double>(x);
        var wide = Output(x.Shape, out CpuBuffer<double> z);
        for (var i = 0; i < w.Length; i++) z[i] = double.IsNaN(w[i]) ? w[i] : Math.Clamp(w[i], min, max);
        return wide;
    }

    public Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        if (condition.DType is not (DType.Bool or DType.U8)) throw new ArgumentException($"where() needs a Bool condition, got {condition.DType}");
        if (a.DType != b.DType) throw new ArgumentException($"where() of {a.DType} and {b.DType}");
        var shape = Shape.Broadcast(Shape.Broadcast(condition.Shape, a.Shape), b.Shape);
        return a.DType switch
        {
            DType.F32 => Select<float>(condition, a, b, shape),
            DType.F64 => Select<double>(condition, a, b, shape),
            DType.I64 => Select<long>(condition, a, b, shape),
            _ => throw new NotSupportedException($"where() on {a.DType}"),
        };
    }

    private static Tensor Select<T>(Tensor condition, Tensor a, Tensor b, Shape shape)
        where T : unmanaged
    {
        using var c = Broadcast<byte>(condition, shape);
        using var va = Broadcast<T>(a, shape);
        using var vb = Broadcast<T>(b, shape);
        var output = Output<T>(shape, a.DType, out var y);
        for (var i = 0; i < y.Length; i++) y[i] = c[i] != 0 ? va[i] : vb[i];
        return output;
    }
}
