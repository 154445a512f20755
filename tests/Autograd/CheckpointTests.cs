using NUnit.Framework;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Tests.Autograd;

/// <summary>Activation checkpointing: a block recomputed in backward gives the gradients of the block run plainly.</summary>
[TestFixture, Category("Unit")]
public class CheckpointTests
{
    /// <summary>A small residual block with a weight, a bias and (optionally) dropout keyed like LoRA's.</summary>
    private static Func<Tensor, Tensor> Block(Tensor weight, Tensor bias, double dropout = 0) => x =>
    {
        var input = dropout > 0 ? Functional.Dropout(x, dropout, 77, training: GradMode.IsDifferentiating) : x;
        return x + Functional.Linear(input, weight, bias).Tanh() * x;
    };

    [Test, Category("GradCheck"), CoversOp(typeof(CheckpointOp))]
    public void GradientsFlowToTheInputAndToTheParametersTheBlockReads()
    {
        var rng = new RandomGenerator(41);
        var x = GradCheck.Random(rng, 5, 4);
        var w = GradCheck.Random(rng, 4, 4);
        var b = GradCheck.Random(rng, 4);
        GradCheck.Check(t => CheckpointOp.Apply(Block(t[1], t[2]), t[0]), [x, w, b], mustRecord: [typeof(CheckpointOp)]);
    }

    [Test, Category("GradCheck")]
    public void ParametersGetGradientsWhenTheInputNeedsNone()
    {
        var rng = new RandomGenerator(42);
        var x = GradCheck.Random(rng, 3, 4);
        var w = GradCheck.Random(rng, 4, 4);
        var b = GradCheck.Random(rng, 4);
        GradCheck.Check(t => CheckpointOp.Apply(Block(t[0], t[1]), x).Square(), [w, b], mustRecord: [typeof(CheckpointOp)]);
        Assert.That(x.RequiresGrad, Is.False);
    }

    [Test, Category("GradCheck")]
    public void StackedCheckpointsWithDropoutReplayTheirMasksInFloat64()
    {
        var rng = new RandomGenerator(46);
        var x = GradCheck.Random(rng, 4, 6);
        var w1 = GradCheck.Random(rng, 6, 6);
        var w2 = GradCheck.Random(rng, 6, 6);
        var b = GradCheck.Random(rng, 6);
        // Dropout on in every evaluation (the numeric ones run unrecorded); the masks are keyed by seed, so the central
        // differences see one fixed function and the recomputation in backward must draw the forward's masks.
        Func<Tensor, Tensor> Layer(Tensor w, ulong seed) => h => h + Functional.Linear(Functional.Dropout(h, 0.3, seed, training: true), w, b).Tanh() * h;
        GradCheck.Check(t => CheckpointOp.Apply(Layer(t[2], 78), CheckpointOp.Apply(Layer(t[1], 77), t[0])), [x, w1, w2],
            mustRecord: [typeof(CheckpointOp)]);
    }

    [TestCase(0.0), TestCase(0.3)]
    public void StackedCheckpointsGiveThePlainGradients(double dropout)
    {
        var rng = new RandomGenerator(43);
        var x = Tensor.RandN(new Shape(6, 8), rng);
        var layers = Enumerable.Range(0, 3).Select(_ => (W: Tensor.RandN(new Shape(8, 8), rng) * 0.3, B: Tensor.RandN(new Shape(8), rng))).ToArray();
        float[] Gradients(bool checkpoint)
        {
            foreach (var (w, b) in layers)
            {
                w.RequiresGrad = b.RequiresGrad = true;
                w.Grad = b.Grad = null;
            }
            var input = x.Clone();
            input.RequiresGrad = true;
            using var scope = TensorScope.Begin();
            var h = input;
            foreach (var (w, b) in layers) h = Checkpointing.RunBlock(Block(w, b, dropout), h, checkpoint);
            h.Square().Sum().Backward();
            return [.. input.Grad!.ToFloatArray(), .. layers.SelectMany(l => l.W.Grad!.ToFloatArray().Concat(l.B.Grad!.ToFloatArray()))];
        }
        var plain = Gradients(checkpoint: false);
        var checkpointed = Gradients(checkpoint: true);
        Assert.That(checkpointed, Is.EqualTo(plain).Within(1e-6), "the recomputation replays the block, dropout masks included");
    }

    [Test]
    public void ACheckpointedBlockKeepsOnlyItsOutput()
    {
        var rng = new RandomGenerator(44);
        var w = Tensor.RandN(new Shape(8, 8), rng);
        var b = Tensor.RandN(new Shape(8), rng);
        w.RequiresGrad = true;
        var x = Tensor.RandN(new Shape(4, 8), rng);
        int Owned(bool checkpoint)
        {
            using var scope = TensorScope.Begin();
            Checkpointing.RunBlock(Block(w, b), x, checkpoint);
            return scope.OwnedCount;
        }
        Assert.That(Owned(checkpoint: true), Is.EqualTo(1), "the output alone survives the forward");
        Assert.That(Owned(checkpoint: false), Is.GreaterThan(3));
        using (GradMode.NoGrad()) Assert.That(Owned(checkpoint: false), Is.EqualTo(1), "without recording a block frees its temporaries");
    }

    [Test]
    public void WithoutRecordingACheckpointIsThePlainBlock()
    {
        var rng = new RandomGenerator(45);
        var w = Tensor.RandN(new Shape(4, 4), rng);
        w.RequiresGrad = true;
        var x = Tensor.RandN(new Shape(2, 4), rng);
        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        var y = CheckpointOp.Apply(Block(w, Tensor.Zeros(new Shape(4))), x);
        Assert.That(y.GradFn, Is.Null);
        Assert.That(GradMode.IsDifferentiating, Is.False);
    }
}
