using BenchmarkDotNet.Attributes;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Bench;

/// <summary>
/// The CPU row kernels of a decoder layer: softmax over attention-score rows and RMSNorm over hidden rows
/// (fp32, forward). Shapes: [T, V-like] rows for softmax, [T, 2048] for RMSNorm.
/// </summary>
[MemoryDiagnoser]
public class RowKernelBenchmarks
{
    private Tensor _scores = null!;
    private Tensor _hidden = null!;
    private Tensor _weight = null!;

    [Params(512, 2048)]
    public int Rows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new RandomGenerator(1);
        _scores = Tensor.RandN(new Shape(Rows, 4096), rng);
        _hidden = Tensor.RandN(new Shape(Rows, 2048), rng);
        _weight = Tensor.Ones(new Shape(2048));
    }

    [Benchmark]
    public float Softmax()
    {
        using var noGrad = GradMode.NoGrad();
        using var scope = TensorScope.Begin();
        return _scores.Softmax(-1).ToArray<float>()[0];
    }

    [Benchmark]
    public float RmsNorm()
    {
        using var noGrad = GradMode.NoGrad();
        using var scope = TensorScope.Begin();
        return Functional.RmsNorm(_hidden, _weight, 1e-6).ToArray<float>()[0];
    }
}
