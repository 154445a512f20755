using StyleAlign.Engine.Core;

namespace StyleAlign.Tests.LogProbs;

/// <summary>Random hidden states, LM head, bias and targets (every third target ignored) for the log-prob tests.</summary>
internal sealed record LogProbTestData(Tensor Hidden, Tensor Weight, Tensor Bias, long[] Targets)
{
    public Tensor TargetTensor => Tensor.FromArray(Targets, Targets.Length);

    public static LogProbTestData Create(int n, int d, int vocab, DType dtype, ulong seed, double std = 1.0)
    {
        var rng = new RandomGenerator(seed);
        var hidden = Tensor.RandN(new Shape(n, d), rng, std, dtype);
        var weight = Tensor.RandN(new Shape(vocab, d), rng, std, dtype);
        var bias = Tensor.RandN(new Shape(vocab), rng, 0.5, dtype);
        var targets = new long[n];
        for (var i = 0; i < n; i++) targets[i] = i % 3 == 2 ? -100 : (long)(rng.NextDouble() * vocab) % vocab;
        return new LogProbTestData(hidden, weight, bias, targets);
    }

    public void RequireGrads()
    {
        foreach (var t in new[] { Hidden, Weight, Bias })
        {
            t.RequiresGrad = true;
            t.Grad = null;
        }
    }

    public (double[] DH, double[] DW, double[] DB) Grads() =>
        (Hidden.Grad!.ToDoubleArray(), Weight.Grad!.ToDoubleArray(), Bias.Grad!.ToDoubleArray());
}
