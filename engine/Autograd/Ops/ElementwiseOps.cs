using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Autograd.Ops;

/// <summary>y = f(x) for the elementwise functions of <see cref="UnaryKind"/>; dx = g·f'(x).</summary>
public sealed class UnaryOp : Op
{
    private readonly UnaryKind _kind;
    private readonly double _alpha;

    private UnaryOp(UnaryKind kind, double alpha)
    {
        _kind = kind;
        _alpha = alpha;
    }

    public override string Name => _kind.ToString();

    public static Tensor Apply(UnaryKind kind, Tensor x, double alpha = 0) =>
        new UnaryOp(kind, alpha).Record(x.Backend.Unary(kind, x, alpha), x);

    protected internal override Tensor?[] Backward(Tensor g) => [g.Backend.UnaryBackward(_kind, Inputs[0], g, _alpha)];
}

/// <summary>Broadcasting add, sub, mul, div, maximum, minimum; gradients summed back to each input's shape.</summary>
public sealed class BinaryOp : Op
{
    private readonly BinaryKind _kind;

    private BinaryOp(BinaryKind kind) => _kind = kind;

    public override string Name => _kind.ToString();

    public static Tensor Apply(BinaryKind kind, Tensor a, Tensor b)
    {
        if (kind.IsComparison()) return a.Backend.Binary(kind, a, b);
        return new BinaryOp(kind).Record(a.Backend.Binary(kind, a, b), a, b);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var a = Inputs[0];
        var b = Inputs[1];
        Tensor? ga = null, gb = null;
        switch (_kind)
        {
            case BinaryKind.Add:
                ga = g;
                gb = g;
                break;
            case BinaryKind.Sub:
                ga = g;
                gb = -g;
                break;
            case BinaryKind.Mul:
                ga = NeedsGrad(0) ? g * b : null;
                gb = NeedsGrad(1) ? g * a : null;
                break;
            case BinaryKind.Div:
                ga = NeedsGrad(0) ? g / b : null;
                gb = NeedsGrad(1) ? -(g * a) / (b * b) : null;
                break;
            case BinaryKind.Maximum:
            case BinaryKind.Minimum:
                {
                    // Ties split the gradient evenly, as torch.maximum does.
                    var wins = _kind == BinaryKind.Maximum ? a.Gt(b) : a.Lt(b);
                    var ties = a.Eq(b);
                    var shareA = Tensor.Where(wins, Tensor.Scalar(1, g.DType, g.Device), Tensor.Where(ties, Tensor.Scalar(0.5, g.DType, g.Device), Tensor.Scalar(0, g.DType, g.Device)));
                    ga = g * shareA;
                    gb = g * (1.0 - shareA);
                    break;
                }
        }
        return [ga is null ? null : SumToShape(ga, a.Shape), gb is null ? null : SumToShape(gb, b.Shape)];
    }
}

/// <summary>Clamp to [min, max]; the gradient passes where the input was inside the range.</summary>
public sealed class ClampOp : Op
{
    private readonly double _min, _max;

    private ClampOp(double min, double max) => (_min, _max) = (min, max);

    public static Tensor Apply(Tensor x, double min, double max) => new ClampOp(min, max).Record(x.Backend.Clamp(x, min, max), x);

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var x = Inputs[0];
        var inside = Tensor.Where(x.Ge(_min), Tensor.Where(x.Le(_max), Tensor.Scalar(1, g.DType, g.Device), Tensor.Scalar(0, g.DType, g.Device)), Tensor.Scalar(0, g.DType, g.Device));
        return [g * inside];
    }
}

/// <summary>cond ? a : b; the gradient goes to whichever side was selected.</summary>
public sealed class WhereOp : Op
{
    private Tensor _condition = null!;

    public static Tensor Apply(Tensor condition, Tensor a, Tensor b)
    {
        var op = new WhereOp { _condition = condition };
        return op.Record(a.Backend.Where(condition, a, b), a, b);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var zero = Tensor.Scalar(0, g.DType, g.Device);
        var ga = NeedsGrad(0) ? SumToShape(g.Backend.Where(_condition, g, zero), Inputs[0].Shape) : null;
        var gb = NeedsGrad(1) ? SumToShape(g.Backend.Where(_condition, zero, g), Inputs[1].Shape) : null;
        return [ga, gb];
    }
}
