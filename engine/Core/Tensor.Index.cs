using StyleAlign.Engine.Autograd.Ops;

namespace StyleAlign.Engine.Core;

public sealed partial class Tensor
{
    /// <summary>Concatenates tensors of equal shape except along dim.</summary>
    public static Tensor Cat(IReadOnlyList<Tensor> xs, int dim) => CatOp.Apply(xs, dim);

    /// <summary>Stacks tensors of equal shape along a new dim.</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> xs, int dim)
    {
        if (xs.Count == 0) throw new ArgumentException("Tensor.Stack of an empty list");
        var d = dim < 0 ? dim + xs[0].Rank + 1 : dim;
        foreach (var x in xs)
            if (x.Shape != xs[0].Shape) throw new ArgumentException($"Tensor.Stack of shapes {xs[0].Shape} and {x.Shape}");
        return CatOp.Apply(xs.Select(x => x.Unsqueeze(d)).ToList(), d);
    }

    /// <summary>Entries along dim picked by an I64/I32 index vector (torch.index_select).</summary>
    public Tensor IndexSelect(int dim, Tensor index) => IndexSelectOp.Apply(this, dim, index);

    /// <summary>out[i][j] = this[i][index[i][j]] along dim (torch.gather); index has this tensor's rank.</summary>
    public Tensor Gather(int dim, Tensor index) => GatherOp.Apply(this, dim, index);

    /// <summary>A copy of this tensor with src[i][j] added at [i][index[i][j]] along dim (torch.scatter_add).</summary>
    public Tensor ScatterAdd(int dim, Tensor index, Tensor src) => ScatterAddOp.Apply(this, dim, index, src);

    /// <summary>A copy of this tensor with src's entries along dim added at the rows named by index (torch.index_add).</summary>
    public Tensor IndexAdd(int dim, Tensor index, Tensor src) => IndexAddOp.Apply(this, dim, index, src);
}
