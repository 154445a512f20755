using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Tests.Nn;

[TestFixture, Category("Unit")]
public class OptimizerTests
{
    [TestCase(DType.F64, 1e-12), TestCase(DType.F32, 1e-6)]
    public void AdamWTwoStepsByHand(DType dtype, double tolerance)
    {
        // lr 0.1, β = (0.9, 0.999), eps 1e-8, wd 0.1, p₀ = 1, g = 0.5 then −0.25.
        // Step 1: p = 1 − 0.1·0.1·1 = 0.99; m = 0.05, v = 0.00025; m̂ = 0.5, v̂ = 0.25;
        //         p = 0.99 − 0.1·0.5/(0.5 + 1e-8) = 0.890000002.
        // Step 2: p = 0.890000002·0.99; m = 0.045 − 0.025 = 0.02; v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225;
        //         m̂ = 0.02/0.19, v̂ = 0.00031225/0.001999; p = 0.8544662986878463.
        var p = TensorScope.Untracked(() => Tensor.FromDoubles([1.0], new Shape(1), dtype));
        p.RequiresGrad = true;
        using var opt = new AdamW([p], new AdamWOptions(LearningRate: 0.1, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-8, WeightDecay: 0.1));
        p.Grad = Tensor.FromDoubles([0.5], new Shape(1), dtype);
        opt.Step();
        Assert.That(p.Item(), Is.EqualTo(0.890000002).Within(tolerance));
        p.Grad = Tensor.FromDoubles([-0.25], new Shape(1), dtype);
        opt.Step();
        Assert.That(p.Item(), Is.EqualTo(0.8544662986878463).Within(tolerance));
        var state = opt.StateDict();
        Assert.That(state["0.0.m"].Item(), Is.EqualTo(0.02).Within(tolerance));
        Assert.That(state["0.0.v"].Item(), Is.EqualTo(0.00031225).Within(tolerance));
        Assert.That(state["0.0.step"].Item(), Is.EqualTo(2));
    }

    [Test]
    public void AdamWStateRoundTripResumesTheSameTrajectory()
    {
        var rng = new RandomGenerator(5);
        var a = TensorScope.Untracked(() => Tensor.RandN(new Shape(3, 2), rng));
        var b = a.Clone();
        var grads = Enumerable.Range(0, 4).Select(_ => Tensor.RandN(new Shape(3, 2), rng)).ToArray();
        using var optA = new AdamW([a], new AdamWOptions(LearningRate: 0.01));
        using var optB = new AdamW([b], new AdamWOptions(LearningRate: 0.01));
        for (var i = 0; i < 2; i++)
        {
            a.Grad = grads[i];
            optA.Step();
            b.Grad = grads[i];
            optB.Step();
        }
        var saved = optA.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        using var resumed = new AdamW([b], new AdamWOptions(LearningRate: 0.01));
        resumed.LoadState(saved);
        for (var i = 2; i < 4; i++)
        {
            a.Grad = grads[i];
            optA.Step();
            b.Grad = grads[i];
            resumed.Step();
        }
        Assert.That(b.ToFloatArray(), Is.EqualTo(a.ToFloatArray()));
    }

    [Test]
    public void DecayGroupsSplitMatricesFromVectors()
    {
        using var parameters = new ParameterSet();
        var (weight, bias) = new ParameterBuilder(new RandomParameterSource(1), parameters).Linear("layer", 3, 2);
        var groups = AdamW.DecayGroups(parameters.Named, 0.05);
        Assert.That(groups[0].Parameters, Is.EqualTo(new[] { weight }));
        Assert.That(groups[0].WeightDecay, Is.EqualTo(0.05));
        Assert.That(groups[1].Parameters, Is.EqualTo(new[] { bias }));
        Assert.That(groups[1].WeightDecay, Is.EqualTo(0));
    }

    [Test]
    public void ClipGlobalNormScalesOnlyAboveTheLimit()
    {
        // Gradients [3, 4] and [12]: global norm sqrt(9 + 16 + 144) = 13.
        var p1 = Tensor.Zeros(new Shape(2));
        var p2 = Tensor.Zeros(new Shape(1));
        p1.Grad = Tensor.FromFloats([3, 4], new Shape(2));
        p2.Grad = Tensor.FromFloats([12], new Shape(1));
        Assert.That(GradientClipping.ClipGlobalNorm([p1, p2], 20), Is.EqualTo(13).Within(1e-9));
        Assert.That(p1.Grad.ToDoubleArray(), Is.EqualTo(new double[] { 3, 4 }));
        Assert.That(GradientClipping.ClipGlobalNorm([p1, p2], 6.5), Is.EqualTo(13).Within(1e-9));
        // Scale 6.5 / (13 + 1e-6) ≈ 0.5.
        Assert.That(p1.Grad.ToDoubleArray(), Is.EqualTo(new[] { 1.5, 2 }).Within(1e-6));
        Assert.That(p2.Grad.ToDoubleArray(), Is.EqualTo(new[] { 6.0 }).Within(1e-6));
    }

    [Test]
    public void ScheduleWarmsUpThenDecaysToTheFloor()
    {
        // Peak 1e-3, 10 warmup steps, 110 in all, floor 1e-4: step 35 is a quarter into the decay, so
        // cosine = 1e-4 + 9e-4·½(1 + cos(π/4)) = 8.681980515339464e-4 and linear = 1e-4 + 9e-4·¾ = 7.75e-4.
        var cosine = new LearningRateSchedule(1e-3, 10, 110, LearningRateDecay.Cosine, 1e-4);
        Assert.That(cosine.At(0), Is.EqualTo(0));
        Assert.That(cosine.At(5), Is.EqualTo(5e-4).Within(1e-15));
        Assert.That(cosine.At(10), Is.EqualTo(1e-3).Within(1e-15));
        Assert.That(cosine.At(35), Is.EqualTo(8.681980515339464e-4).Within(1e-15));
        Assert.That(cosine.At(60), Is.EqualTo(5.5e-4).Within(1e-15));
        Assert.That(cosine.At(110), Is.EqualTo(1e-4).Within(1e-15));
        Assert.That(cosine.At(500), Is.EqualTo(1e-4).Within(1e-15));
        var linear = cosine with { Decay = LearningRateDecay.Linear };
        Assert.That(linear.At(35), Is.EqualTo(7.75e-4).Within(1e-15));
        Assert.That(linear.At(110), Is.EqualTo(1e-4).Within(1e-15));
        Assert.That((cosine with { Decay = LearningRateDecay.Constant }).At(80), Is.EqualTo(1e-3));
    }
}
