using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Autograd;

/// <summary>
/// One differentiable operation. Each op class holds its forward (a static Apply that calls the backend) and
/// its backward (ordinary tensor ops, so it runs on every backend) side by side. An op instance is recorded
/// only when one of its inputs requires grad.
/// </summary>
public abstract class Op
{
    private Tensor[] _inputs = [];

    /// <summary>The tensors this op consumed, in the order its backward returns their gradients.</summary>
    public IReadOnlyList<Tensor> Inputs => _inputs;

    /// <summary>Catalog name of the op (for error messages and the op catalog).</summary>
    public virtual string Name => GetType().Name.EndsWith("Op", StringComparison.Ordinal) ? GetType().Name[..^2] : GetType().Name;

    /// <summary>Gradients with respect to each input (null where an input needs none), given dL/d(output).</summary>
    protected internal abstract Tensor?[] Backward(Tensor gradOutput);

    /// <summary>Attaches this op as the history of output when any input requires grad.</summary>
    protected Tensor Record(Tensor output, params Tensor[] inputs)
    {
        if (!GradMode.ShouldRecord(inputs)) return output;
        _inputs = inputs;
        output.GradFn = this;
        output.RequiresGrad = true;
        return output;
    }

    /// <summary>
    /// Attaches this op as the history of output while recording is on, whether or not its listed inputs require grad:
    /// for an op whose hidden inputs (the parameters a checkpointed block reads) do.
    /// </summary>
    protected Tensor RecordAlways(Tensor output, params Tensor[] inputs)
    {
        if (!GradMode.IsEnabled) return output;
        _inputs = inputs;
        output.GradFn = this;
        output.RequiresGrad = true;
        return output;
    }

    protected bool NeedsGrad(int input) => _inputs[input].RequiresGrad;

    /// <summary>Sums a broadcast gradient back to the shape of the input it flowed from.</summary>
    protected static Tensor SumToShape(Tensor grad, Shape shape)
    {
        if (grad.Shape == shape) return grad;
        var lead = grad.Rank - shape.Rank;
        var dims = new List<int>();
        for (var i = 0; i < grad.Rank; i++)
            if (i < lead || (shape[i - lead] == 1 && grad.Shape[i] != 1)) dims.Add(i);
        var reduced = dims.Count == 0 ? grad : grad.Backend.Reduce(ReduceKind.Sum, grad, dims.ToArray(), keepDim: true);
        return reduced.Reshape(shape);
    }
}
