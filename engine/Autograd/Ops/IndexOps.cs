using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Autograd.Ops;

/// <summary>Concatenation along one dim; each input's gradient is its slice of the output gradient.</summary>
public sealed class CatOp : Op
{
    private int _dim;

    public static Tensor Apply(IReadOnlyList<Tensor> xs, int dim)
    {
        if (xs.Count == 0) throw new ArgumentException("Tensor.Cat of an empty list");
        var op = new CatOp { _dim = xs[0].Shape.Axis(dim) };
        return op.Record(xs[0].Backend.Cat(xs, op._dim), [.. xs]);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var grads = new Tensor?[Inputs.Count];
        var start = 0;
        for (var i = 0; i < Inputs.Count; i++)
        {
            var length = Inputs[i].Shape[_dim];
            if (NeedsGrad(i)) grads[i] = g.Narrow(_dim, start, length);
            start += length;
        }
        return grads;
    }
}

/// <summary>Rows of x picked by an index vector; the gradient is index_add of g into zeros.</summary>
public sealed class IndexSelectOp : Op
{
    private int _dim;
    private Tensor _index = null!;

    public static Tensor Apply(Tensor x, int dim, Tensor index)
    {
        var op = new IndexSelectOp { _dim = x.Shape.Axis(dim), _index = index };
        return op.Record(x.Backend.IndexSelect(x, op._dim, index), x);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var x = Inputs[0];
        return [g.Backend.IndexAdd(Tensor.Zeros(x.Shape, g.DType, g.Device), _dim, _index, g)];
    }
}

/// <summary>target + src added at index rows; dtarget = g, dsrc = g's rows at index.</summary>
public sealed class IndexAddOp : Op
{
    private int _dim;
    private Tensor _index = null!;

    public static Tensor Apply(Tensor target, int dim, Tensor index, Tensor src)
    {
        var op = new IndexAddOp { _dim = target.Shape.Axis(dim), _index = index };
        return op.Record(target.Backend.IndexAdd(target, op._dim, index, src), target, src);
    }

    protected internal override Tensor?[] Backward(Tensor g) =>
        [NeedsGrad(0) ? g : null, NeedsGrad(1) ? g.Backend.IndexSelect(g, _dim, _index) : null];
}

/// <summary>torch.gather; the gradient scatter-adds g back to the positions it was read from.</summary>
public sealed class GatherOp : Op
{
    private int _dim;
    private Tensor _index = null!;

    public static Tensor Apply(Tensor x, int dim, Tensor index)
    {
        var op = new GatherOp { _dim = x.Shape.Axis(dim), _index = index };
        return op.Record(x.Backend.Gather(x, op._dim, index), x);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var x = Inputs[0];
        return [g.Backend.ScatterAdd(Tensor.Zeros(x.Shape, g.DType, g.Device), _dim, _index, g)];
    }
}

/// <summary>torch.scatter_add; dtarget = g, dsrc = g gathered at index (zero where src extends past index).</summary>
public sealed class ScatterAddOp : Op
{
    private int _dim;
    private Tensor _index = null!;

    public static Tensor Apply(Tensor target, int dim, Tensor index, Tensor src)
    {
        var op = new ScatterAddOp { _dim = target.Shape.Axis(dim), _index = index };
        return op.Record(target.Backend.ScatterAdd(target, op._dim, index, src), target, src);
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        Tensor? gsrc = null;
        if (NeedsGrad(1))
        {
            var src = Inputs[1];
            var gathered = g.Backend.Gather(g, _dim, _index);
            if (gathered.Shape == src.Shape) gsrc = gathered;
            else
            {
                // src elements outside the index's extent were never read.
                gsrc = Tensor.Zeros(src.Shape, g.DType, g.Device);
                var layout = gsrc.Layout;
                for (var d = 0; d < src.Rank; d++) layout = layout.Narrow(d, 0, _index.Shape[d]);
                gsrc.ViewAs(layout).CopyFrom(gathered);
            }
        }
        return [NeedsGrad(0) ? g : null, gsrc];
    }
}
