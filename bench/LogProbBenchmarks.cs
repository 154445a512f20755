using BenchmarkDotNet.Attributes;
using StyleAlign.Bench.Harness;
using StyleAlign.Engine.Core;

namespace StyleAlign.Bench;

/// <summary>
/// Forward + backward of per-token log-probs: the fused chunked op against full logits + log_softmax + gather.
/// The memory diagnoser's "Allocated" column shows the N×V buffers the naive path allocates and the fused one avoids.
/// </summary>
[MemoryDiagnoser]
public class LogProbBenchmarks
{
    private Tensor _hidden = null!, _weight = null!, _targets = null!, _grad = null!;

    [Params(256, 1024)]
    public int Tokens { get; set; }

    [Params(256)]
    public int Hidden { get; set; }

    [Params(32000, 151936)]
    public int Vocab { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new RandomGenerator(7);
        _hidden = Tensor.RandN(new Shape(Tokens, Hidden), rng);
        _weight = Tensor.RandN(new Shape(Vocab, Hidden), rng, 2.0 / Math.Sqrt(Hidden));
        _targets = Tensor.FromArray(Enumerable.Range(0, Tokens).Select(_ => (long)rng.NextInt(Vocab)).ToArray(), Tokens);
        _grad = Tensor.RandN(new Shape(Tokens), rng);
    }

    [Benchmark(Baseline = true)]
    public double Naive()
    {
        using var scope = TensorScope.Begin();
        return LogProbPaths.Naive(_hidden, _weight, _targets, _grad).GradHidden.ToFloatArray()[0];
    }

    [Benchmark]
    public double Fused()
    {
        using var scope = TensorScope.Begin();
        return LogProbPaths.Fused(_hidden, _weight, _targets, _grad).GradHidden.ToFloatArray()[0];
    }
}
