using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Autograd.Ops;

/// <summary>
/// Activation checkpointing of one block (a decoder layer): the forward runs the block without recording and keeps
/// only its input and output; the backward runs the block again with recording from a detached copy of the input and
/// back-propagates through that recomputation, so parameter gradients accumulate as usual and the input's gradient is
/// returned. Everything the recomputation creates is freed when it is done. The block must compute the same function
/// both times: random draws inside it are keyed by <see cref="GradMode.IsDifferentiating"/>, which holds in both passes.
/// </summary>
public sealed class CheckpointOp : Op
{
    private readonly Func<Tensor, Tensor> _block;

    private CheckpointOp(Func<Tensor, Tensor> block) => _block = block;

    /// <summary>
    /// y = block(x), recorded as one op when the block would have recorded history (x or a tensor it reads requires
    /// grad); otherwise the block just runs.
    /// </summary>
    public static Tensor Apply(Func<Tensor, Tensor> block, Tensor x)
    {
        if (!GradMode.IsEnabled) return block(x);
        Tensor y;
        bool sawGradient;
        using (var scope = TensorScope.Begin())
        {
            using (var deferred = GradMode.Deferred())
            {
                y = block(x);
                sawGradient = deferred.SawGradient;
            }
            KeepOutOf(scope, y);
        }
        if (!sawGradient && !x.RequiresGrad) return y;
        return new CheckpointOp(block).RecordAlways(y, x);
    }

    protected internal override Tensor?[] Backward(Tensor gradOutput)
    {
        var x = Inputs[0];
        using var scope = TensorScope.Begin();
        Tensor? gradInput;
        using (GradMode.Recording())
        {
            var input = x.Detach();
            input.RequiresGrad = x.RequiresGrad;
            var y = _block(input);
            gradInput = y.RequiresGrad ? Autograd.Backward.Run(y, gradOutput, capture: input) : null;
        }
        if (gradInput is not null) KeepOutOf(scope, gradInput);
        return [gradInput];
    }

    /// <summary>Moves a result made inside <paramref name="scope"/> out to the enclosing one before the scope frees the rest.</summary>
    internal static void KeepOutOf(TensorScope scope, Tensor result)
    {
        if (ReferenceEquals(result.Owner, scope)) result.Keep();
    }
}
