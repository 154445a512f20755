using NUnit.Framework;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Tests.Nn;

[TestFixture, Category("Unit")]
public class ParameterSetTrainingTests
{
    /// <summary>A 2-16-1 tanh network built through the parameter system, as the style classifier is.</summary>
    private sealed class TinyMlp : IDisposable
    {
        private readonly (Tensor Weight, Tensor? Bias) _hidden;
        private readonly (Tensor Weight, Tensor? Bias) _output;

        public TinyMlp(IParameterSource source)
        {
            var p = new ParameterBuilder(source, Parameters);
            _hidden = p.Linear("hidden", 2, 16);
            _output = p.Linear("output", 16, 1);
            foreach (var (_, t) in Parameters.All) t.RequiresGrad = true;
        }

        public ParameterSet Parameters { get; } = new();

        public Tensor Forward(Tensor x) =>
            Functional.Linear(Functional.Linear(x, _hidden.Weight, _hidden.Bias).Tanh(), _output.Weight, _output.Bias);

        public void Dispose() => Parameters.Dispose();
    }

    [Test]
    public void LinearLayersAreNamedInOrderAndDrawnAsTorchDoes()
    {
        using var mlp = new TinyMlp(new RandomParameterSource(1));
        Assert.That(mlp.Parameters.Named.Select(p => p.Name), Is.EqualTo(new[] { "hidden.weight", "hidden.bias", "output.weight", "output.bias" }));
        Assert.That(mlp.Parameters["hidden.weight"].Shape, Is.EqualTo(new Shape(16, 2)));
        // U(±1/√in) for weight and bias alike: in = 2 for the hidden layer, 16 for the output.
        var hidden = mlp.Parameters["hidden.weight"].ToDoubleArray().Concat(mlp.Parameters["hidden.bias"].ToDoubleArray()).ToArray();
        var output = mlp.Parameters["output.weight"].ToDoubleArray().Concat(mlp.Parameters["output.bias"].ToDoubleArray()).ToArray();
        Assert.That(hidden, Has.All.InRange(-1 / Math.Sqrt(2), 1 / Math.Sqrt(2)));
        Assert.That(output, Has.All.InRange(-0.25, 0.25));
        Assert.That(hidden.Max(), Is.GreaterThan(0.4), "the draws spread over the interval");
        Assert.That(hidden.Distinct().Count(), Is.EqualTo(hidden.Length));
    }

    [Test]
    public void OneGeneratorGivesTheSameValuesAsTensorsAndAsStreamedValues()
    {
        var init = ParameterInit.Uniform(0.5);
        var tensor = new RandomParameterSource(3).Get("w", new Shape(4, 5), init).ToFloatArray();
        Assert.That(new RandomParameterSource(3).Values(20, init), Is.EqualTo(tensor));
        var normal = new RandomParameterSource(3, std: 0.1);
        Assert.That(normal.Get("n", new Shape(6), ParameterInit.Normal).ToFloatArray(), Is.EqualTo(new RandomParameterSource(3, std: 0.1).Values(6, ParameterInit.Normal)));
        Assert.That(normal.Get("b", new Shape(3), ParameterInit.Zeros).ToFloatArray(), Is.All.EqualTo(0f));
        Assert.That(normal.Get("g", new Shape(3), ParameterInit.Ones).ToFloatArray(), Is.All.EqualTo(1f));
    }

    [Test]
    public void DisposingTheSetFreesEveryParameterAndGradient()
    {
        var mlp = new TinyMlp(new RandomParameterSource(2));
        var weight = mlp.Parameters["output.weight"];
        weight.Grad = weight.ZerosLike();
        var grad = weight.Grad;
        mlp.Dispose();
        Assert.That(weight.IsDisposed && grad.IsDisposed, Is.True);
        Assert.That(weight.Grad, Is.Null);
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
        using var mlp = new TinyMlp(new RandomParameterSource(7));
        using var opt = new AdamW(AdamW.DecayGroups(mlp.Parameters.Named, 0.0), new AdamWOptions(LearningRate: 0.02));
        var schedule = new LearningRateSchedule(0.03, 20, 700, LearningRateDecay.Cosine, 1e-3);
        double first = double.NaN, loss = double.NaN;
        for (var step = 0; step < 700; step++)
        {
            using var tape = TensorScope.Begin();
            var diff = mlp.Forward(x) - y;
            var mse = (diff * diff).Mean();
            loss = mse.Item();
            if (step == 0) first = loss;
            mse.Backward();
            GradientClipping.ClipGlobalNorm(mlp.Parameters.All.Select(p => p.Value), 1.0);
            opt.LearningRate = schedule.At(step);
            opt.Step();
            opt.ZeroGrad();
        }
        Assert.That(first, Is.GreaterThan(0.05));
        Assert.That(loss, Is.LessThan(1e-3), $"loss went from {first} to {loss}");
    }
}
