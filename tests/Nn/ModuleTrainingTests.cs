using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Tests.Nn;

[TestFixture, Category("Unit")]
public class ModuleTrainingTests
{
    private sealed class TinyMlp : Module
    {
        public TinyMlp(RandomGenerator rng)
        {
            Hidden = RegisterModule("hidden", new Linear(2, 16, rng));
            Output = RegisterModule("output", new Linear(16, 1, rng));
        }

        public Linear Hidden { get; }

        public Linear Output { get; }

        public Tensor Forward(Tensor x) => Output.Forward(Hidden.Forward(x).Tanh());
    }

    [Test]
    public void NamedParametersAreRecursiveAndTrainModePropagates()
    {
        using var mlp = new TinyMlp(new RandomGenerator(1));
        Assert.That(mlp.NamedParameters().Select(p => p.Name), Is.EqualTo(new[] { "hidden.weight", "hidden.bias", "output.weight", "output.bias" }));
        Assert.That(mlp.Parameters().All(p => p.RequiresGrad), Is.True);
        mlp.Eval();
        Assert.That(mlp.Hidden.IsTraining, Is.False);
        mlp.Train();
        Assert.That(mlp.Output.IsTraining, Is.True);
    }

    [Test]
    public void TinyMlpFitsASmoothRegressionWithAdamW()
    {
        // y = sin(2·x₀)·x₁ on a 6×6 grid in [−1, 1]²; a 2-16-1 tanh network should drive the MSE near zero.
        var inputs = new List<double>();
        var targets = new List<double>();
        for (var i = 0; i < 6; i++)
            for (var j = 0; j < 6; j++)
            {
                double x0 = -1 + 0.4 * i, x1 = -1 + 0.4 * j;
                inputs.AddRange([x0, x1]);
                targets.Add(Math.Sin(2 * x0) * x1);
            }
        var x = Tensor.FromDoubles(inputs.ToArray(), new Shape(36, 2));
        var y = Tensor.FromDoubles(targets.ToArray(), new Shape(36, 1));
        using var mlp = new TinyMlp(new RandomGenerator(7));
        using var opt = new AdamW(AdamW.DecayGroups(mlp.NamedParameters(), 0.0), new AdamWOptions(LearningRate: 0.02));
        var schedule = new LearningRateSchedule(0.03, 20, 700, LearningRateDecay.Cosine, 1e-3);
        double first = double.NaN, loss = double.NaN;
        for (var step = 0; step < 700; step++)
        {
            using var scope = TensorScope.Begin();
            var diff = mlp.Forward(x) - y;
            var mse = (diff * diff).Mean();
            loss = mse.Item();
            if (step == 0) first = loss;
            mse.Backward();
            GradientClipping.ClipGlobalNorm(mlp.Parameters(), 1.0);
            opt.LearningRate = schedule.At(step);
            opt.Step();
            opt.ZeroGrad();
        }
        Assert.That(first, Is.GreaterThan(0.05));
        Assert.That(loss, Is.LessThan(1e-3), $"loss went from {first} to {loss}");
    }
}
