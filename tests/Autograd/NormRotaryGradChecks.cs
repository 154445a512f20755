using NUnit.Framework;
using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Tests.Autograd;

[TestFixture, Category("GradCheck")]
public class NormRotaryGradChecks
{
    [Test, CoversOp(typeof(RmsNormOp))]
    public void RmsNormOfATransposedInput()
    {
        var rng = new RandomGenerator(31);
        var x = GradCheck.Random(rng, 5, 2, 3);
        var w = GradCheck.Random(rng, 5);
        GradCheck.Check(v => Functional.RmsNorm(v[0].Transpose(0, 2), v[1], 1e-6), [x, w], mustRecord: [typeof(RmsNormOp)]);
    }

    [Test, CoversOp(typeof(LayerNormOp))]
    public void LayerNormOfANarrowedInput()
    {
        var rng = new RandomGenerator(32);
        var x = GradCheck.Random(rng, 3, 7);
        var w = GradCheck.Random(rng, 5);
        var b = GradCheck.Random(rng, 5);
        GradCheck.Check(v => Functional.LayerNorm(v[0].Narrow(1, 1, 5), v[1], v[2], 1e-5), [x, w, b], mustRecord: [typeof(LayerNormOp)]);
    }

    [Test, CoversOp(typeof(RotaryOp))]
    public void RotaryWithBroadcastTablesAndATransposedInput()
    {
        var rng = new RandomGenerator(33);
        // x viewed as [B=2, H=3, T=4, D=6] from a [2, 4, 3, 6] tensor (heads transposed, as attention does).
        var x = GradCheck.Random(rng, 2, 4, 3, 6);
        var cos = GradCheck.Random(rng, 4, 6);
        var sin = GradCheck.Random(rng, 2, 1, 4, 6);
        GradCheck.Check(v => Functional.Rotary(v[0].Transpose(1, 2), v[1], v[2]), [x, cos, sin], mustRecord: [typeof(RotaryOp)]);
    }

    [Test, CoversOp(typeof(DropoutOp))]
    public void DropoutScalesTheKeptGradient()
    {
        var x = GradCheck.Random(new RandomGenerator(34), 6, 5);
        GradCheck.Check(v => Functional.Dropout(v[0].T, 0.3, seed: 77, training: true), [x], mustRecord: [typeof(DropoutOp)]);
    }
}
