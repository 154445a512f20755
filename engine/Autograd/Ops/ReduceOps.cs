using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Autograd.Ops;

/// <summary>Sum, mean, max, min and logsumexp over any set of dims.</summary>
public sealed class ReduceOp : Op
{
    private readonly ReduceKind _kind;
    private readonly int[] _dims;
    private readonly bool _keepDim;
    private Tensor _output = null!;

    private ReduceOp(ReduceKind kind, int[] dims, bool keepDim) => (_kind, _dims, _keepDim) = (kind, dims, keepDim);

    public override string Name => _kind.ToString();

    public static Tensor Apply(ReduceKind kind, Tensor x, int[]? dims, bool keepDim)
    {
        var axes = (dims is null || dims.Length == 0 ? Enumerable.Range(0, x.Rank) : dims.Select(x.Shape.Axis)).Distinct().Order().ToArray();
        var op = new ReduceOp(kind, axes, keepDim);
        var y = x.Backend.Reduce(kind, x, axes, keepDim);
        op._output = y;
        return op.Record(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var x = Inputs[0];
        var keptShape = new Shape(Enumerable.Range(0, x.Rank).Select(i => _dims.Contains(i) ? 1 : x.Shape[i]).ToArray());
        var gk = g.Reshape(keptShape);
        Tensor grad;
        switch (_kind)
        {
            case ReduceKind.Sum:
                grad = gk.Expand(x.Shape).Contiguous();
                break;
            case ReduceKind.Mean:
                {
                    long count = 1;
                    foreach (var d in _dims) count *= x.Shape[d];
                    grad = (gk * (1.0 / count)).Expand(x.Shape).Contiguous();
                    break;
                }
            case ReduceKind.LogSumExp:
                grad = gk * (x - _output.Reshape(keptShape)).Exp();
                break;
            default:
                {
                    // Max/min: the gradient is shared evenly among the elements equal to the extreme value.
                    var hit = Tensor.Where(x.Eq(_output.Reshape(keptShape)), Tensor.Scalar(1, x.DType, x.Device), Tensor.Scalar(0, x.DType, x.Device));
                    var count = hit.Sum(_dims, keepDim: true);
                    grad = gk * hit / count;
                    break;
                }
        }
        return [grad];
    }
}

/// <summary>softmax / log_softmax along one dim; backward uses the saved output.</summary>
public sealed class SoftmaxOp : Op
{
    private readonly int _dim;
    private readonly bool _log;
    private Tensor _output = null!;

    private SoftmaxOp(int dim, bool log) => (_dim, _log) = (dim, log);

    public override string Name => _log ? "LogSoftmax" : "Softmax";

    public static Tensor Apply(Tensor x, int dim, bool log)
    {
        var d = x.Shape.Axis(dim);
        var op = new SoftmaxOp(d, log);
        op._output = x.Backend.Softmax(x, d, log);
        return op.Record(op._output, x);
    }

    protected internal override Tensor?[] Backward(Tensor g) => [g.Backend.SoftmaxBackward(_output, g, _dim, _log)];
}

/// <summary>Batched matmul with broadcast batch dims: dA = G·Bᵀ, dB = Aᵀ·G (transposes are views).</summary>
public sealed class MatMulOp : Op
{
    public static Tensor Apply(Tensor a, Tensor b) => new MatMulOp().Record(a.Backend.MatMul(a, b), a, b);

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var a = Inputs[0];
        var b = Inputs[1];
        var ga = NeedsGrad(0) ? SumToShape(g.Backend.MatMul(g, b.Transpose(-1, -2)), a.Shape) : null;
        var gb = NeedsGrad(1) ? SumToShape(g.Backend.MatMul(a.Transpose(-1, -2), g), b.Shape) : null;
        return [ga, gb];
    }
}
