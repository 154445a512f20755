using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Autograd;

/// <summary>How a stack of blocks (decoder or vision layers) runs one block, by what the pass needs kept.</summary>
public static class Checkpointing
{
    /// <summary>
    /// Runs one block. Recording with <paramref name="checkpoint"/>: as a <see cref="CheckpointOp"/> (only the input is
    /// kept; the block is recomputed in backward). Recording without it: plainly, every activation kept for backward.
    /// Not recording: inside its own scope, so the block's temporaries are freed as soon as it returns and an inference
    /// pass holds one block's activations at a time.
    /// </summary>
    public static Tensor RunBlock(Func<Tensor, Tensor> block, Tensor x, bool checkpoint)
    {
        if (GradMode.IsEnabled) return checkpoint ? CheckpointOp.Apply(block, x) : block(x);
        using var scope = TensorScope.Begin();
        var y = block(x);
        CheckpointOp.KeepOutOf(scope, y);
        return y;
    }
}
