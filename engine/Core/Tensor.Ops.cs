using StyleAlign.Engine.Autograd.Ops;

namespace StyleAlign.Engine.Core;

public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => BinaryOp.Apply(BinaryKind.Add, a, b);

    public static Tensor operator -(Tensor a, Tensor b) => BinaryOp.Apply(BinaryKind.Sub, a, b);

    public static Tensor operator *(Tensor a, Tensor b) => BinaryOp.Apply(BinaryKind.Mul, a, b);

    public static Tensor operator /(Tensor a, Tensor b) => BinaryOp.Apply(BinaryKind.Div, a, b);

    public static Tensor operator -(Tensor x) => UnaryOp.Apply(UnaryKind.Neg, x);

    public static Tensor operator +(Tensor x, double s) => UnaryOp.Apply(UnaryKind.AddScalar, x, s);

    public static Tensor operator +(double s, Tensor x) => UnaryOp.Apply(UnaryKind.AddScalar, x, s);

    public static Tensor operator -(Tensor x, double s) => UnaryOp.Apply(UnaryKind.AddScalar, x, -s);

    public static Tensor operator -(double s, Tensor x) => UnaryOp.Apply(UnaryKind.AddScalar, -x, s);

    public static Tensor operator *(Tensor x, double s) => UnaryOp.Apply(UnaryKind.Scale, x, s);

    public static Tensor operator *(double s, Tensor x) => UnaryOp.Apply(UnaryKind.Scale, x, s);

    public static Tensor operator /(Tensor x, double s) => UnaryOp.Apply(UnaryKind.Scale, x, 1.0 / s);

    public Tensor Exp() => UnaryOp.Apply(UnaryKind.Exp, this);

    public Tensor Log() => UnaryOp.Apply(UnaryKind.Log, this);

    public Tensor Sqrt() => UnaryOp.Apply(UnaryKind.Sqrt, this);

    public Tensor Rsqrt() => UnaryOp.Apply(UnaryKind.Rsqrt, this);

    public Tensor Tanh() => UnaryOp.Apply(UnaryKind.Tanh, this);

    public Tensor Sigmoid() => UnaryOp.Apply(UnaryKind.Sigmoid, this);

    public Tensor Silu() => UnaryOp.Apply(UnaryKind.Silu, this);

    /// <summary>GELU, exact erf form (nn.GELU()) or the tanh approximation.</summary>
    public Tensor Gelu(bool tanhApproximation = false) => UnaryOp.Apply(tanhApproximation ? UnaryKind.GeluTanh : UnaryKind.GeluErf, this);

    /// <summary>x·σ(1.702x), CLIP's activation.</summary>
    public Tensor QuickGelu() => UnaryOp.Apply(UnaryKind.QuickGelu, this);

    public Tensor Relu() => UnaryOp.Apply(UnaryKind.Relu, this);

    public Tensor Abs() => UnaryOp.Apply(UnaryKind.Abs, this);

    public Tensor Square() => UnaryOp.Apply(UnaryKind.Square, this);

    public Tensor Sin() => UnaryOp.Apply(UnaryKind.Sin, this);

    public Tensor Cos() => UnaryOp.Apply(UnaryKind.Cos, this);

    public Tensor Pow(double exponent) => UnaryOp.Apply(UnaryKind.Pow, this, exponent);

    public Tensor Clamp(double min, double max) => ClampOp.Apply(this, min, max);

    public static Tensor Maximum(Tensor a, Tensor b) => BinaryOp.Apply(BinaryKind.Maximum, a, b);

    public static Tensor Minimum(Tensor a, Tensor b) => BinaryOp.Apply(BinaryKind.Minimum, a, b);

    /// <summary>condition ? a : b, broadcasting all three.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) => WhereOp.Apply(condition, a, b);

    /// <summary>Replaces elements where mask is true by value.</summary>
    public Tensor MaskedFill(Tensor mask, double value) => Where(mask, Scalar(value, DType, Device), this);

    public Tensor Eq(Tensor other) => BinaryOp.Apply(BinaryKind.Equal, this, other);

    public Tensor Ne(Tensor other) => BinaryOp.Apply(BinaryKind.NotEqual, this, other);

    public Tensor Lt(Tensor other) => BinaryOp.Apply(BinaryKind.Less, this, other);

    public Tensor Le(Tensor other) => BinaryOp.Apply(BinaryKind.LessEqual, this, other);

    public Tensor Gt(Tensor other) => BinaryOp.Apply(BinaryKind.Greater, this, other);

    public Tensor Ge(Tensor other) => BinaryOp.Apply(BinaryKind.GreaterEqual, this, other);

    public Tensor Eq(double value) => Eq(Scalar(value, DType, Device));

    public Tensor Lt(double value) => Lt(Scalar(value, DType, Device));

    public Tensor Le(double value) => Le(Scalar(value, DType, Device));

    public Tensor Gt(double value) => Gt(Scalar(value, DType, Device));

    public Tensor Ge(double value) => Ge(Scalar(value, DType, Device));

    public Tensor Sum(int[]? dims = null, bool keepDim = false) => ReduceOp.Apply(ReduceKind.Sum, this, dims, keepDim);

    public Tensor Sum(int dim, bool keepDim = false) => Sum([dim], keepDim);

    public Tensor Mean(int[]? dims = null, bool keepDim = false) => ReduceOp.Apply(ReduceKind.Mean, this, dims, keepDim);

    public Tensor Mean(int dim, bool keepDim = false) => Mean([dim], keepDim);

    public Tensor Max(int[]? dims = null, bool keepDim = false) => ReduceOp.Apply(ReduceKind.Max, this, dims, keepDim);

    public Tensor Max(int dim, bool keepDim = false) => Max([dim], keepDim);

    public Tensor Min(int[]? dims = null, bool keepDim = false) => ReduceOp.Apply(ReduceKind.Min, this, dims, keepDim);

    public Tensor LogSumExp(int[]? dims = null, bool keepDim = false) => ReduceOp.Apply(ReduceKind.LogSumExp, this, dims, keepDim);

    public Tensor LogSumExp(int dim, bool keepDim = false) => LogSumExp([dim], keepDim);

    /// <summary>Index of the first maximum along dim (I64, no gradient).</summary>
    public Tensor ArgMax(int dim, bool keepDim = false) => Backend.ArgMax(this, Shape.Axis(dim), keepDim);

    public Tensor Softmax(int dim) => SoftmaxOp.Apply(this, dim, log: false);

    public Tensor LogSoftmax(int dim) => SoftmaxOp.Apply(this, dim, log: true);

    public Tensor MatMul(Tensor other) => MatMulOp.Apply(this, other);

    /// <summary>Converts the dtype; float-to-float casts carry gradients.</summary>
    public Tensor To(DType dtype) => CastOp.Apply(this, dtype);

    /// <summary>Copies to another device (no history).</summary>
    public Tensor To(Device device)
    {
        if (device == Device) return this;
        var target = Backends.For(device);
        return new Tensor(target.Upload(Backend.Download(this), DType), Layout.Contiguous(Shape));
    }
}
