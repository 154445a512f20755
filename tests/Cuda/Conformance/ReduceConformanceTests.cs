using NUnit.Framework;
using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;
using static StyleAlign.Tests.Cuda.Conformance.Conformance;

namespace StyleAlign.Tests.Cuda.Conformance;

[TestFixture, Category("Cuda")]
public sealed class ReduceConformanceTests
{
    private static IEnumerable<TestCaseData> ReduceCases() =>
        from kind in Enum.GetValues<ReduceKind>()
        from dims in new[] { "2", "0,2", "1", "0,1,2" }
        from keepDim in new[] { false, true }
        from dtype in FloatTypes
        select new TestCaseData(kind, dims, keepDim, dtype).SetName($"Reduce_{kind}_dims{dims.Replace(',', '_')}_keep{keepDim}_{dtype}");

    [TestCaseSource(nameof(ReduceCases)), CudaCaseFor(typeof(ReduceOp))]
    public void ReduceOverDimsOfANarrowedView(ReduceKind kind, string dims, bool keepDim, DType dtype)
    {
        var axes = dims.Split(',').Select(int.Parse).ToArray();
        var x = Random(11, 5, 9, 301);
        Check($"reduce {kind} [{dims}] keep={keepDim}", dtype, [x], [0], t => ReduceOp.Apply(kind, t[0].Narrow(1, 1, 7), axes, keepDim));
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes))]
    public void ArgMaxAlongEachDim(DType dtype)
    {
        // Distinct values, so the first maximum is unambiguous after bf16 rounding as well.
        var values = Enumerable.Range(0, 7 * 13).Select(i => (double)((i * 37) % 91)).ToArray();
        var x = Tensor.FromDoubles(values, new Shape(7, 13));
        for (var dim = 0; dim < 2; dim++)
        {
            var d = dim;
            Check($"argmax dim {d}", dtype, [x], [], t => t[0].T.ArgMax(d, keepDim: d == 1));
        }
    }

    private static IEnumerable<TestCaseData> SoftmaxCases() =>
        from log in new[] { false, true }
        from dim in new[] { 0, 1, 2 }
        from dtype in FloatTypes
        select new TestCaseData(log, dim, dtype).SetName($"{(log ? "LogSoftmax" : "Softmax")}_dim{dim}_{dtype}");

    [TestCaseSource(nameof(SoftmaxCases)), CudaCaseFor(typeof(SoftmaxOp))]
    public void SoftmaxAlongAnyDimOfAPermutedView(bool log, int dim, DType dtype)
    {
        var x = Random(12, 3, 129, 6) * 3.0;
        Check($"{(log ? "log_softmax" : "softmax")} dim {dim}", dtype, [x], [0], t => SoftmaxOp.Apply(t[0].Permute(2, 0, 1), dim, log));
    }

    private static IEnumerable<TestCaseData> MatMulCases() =>
        from layout in new[] { "dense", "a_transposed", "b_transposed", "both_transposed", "broadcast_batch", "narrowed" }
        from dtype in FloatTypes
        select new TestCaseData(layout, dtype).SetName($"MatMul_{layout}_{dtype}");

    [TestCaseSource(nameof(MatMulCases)), CudaCaseFor(typeof(MatMulOp))]
    public void MatMulOfViews(string layout, DType dtype)
    {
        // Odd sizes on purpose: M = 17, K = 9, N = 5, batch 3.
        var (a, b, f) = layout switch
        {
            "dense" => (Random(13, 3, 17, 9), Random(14, 3, 9, 5), (Func<Tensor[], Tensor>)(t => t[0].MatMul(t[1]))),
            "a_transposed" => (Random(13, 3, 9, 17), Random(14, 3, 9, 5), t => t[0].T.MatMul(t[1])),
            "b_transposed" => (Random(13, 3, 17, 9), Random(14, 3, 5, 9), t => t[0].MatMul(t[1].T)),
            "both_transposed" => (Random(13, 3, 9, 17), Random(14, 3, 5, 9), t => t[0].T.MatMul(t[1].T)),
            "broadcast_batch" => (Random(13, 2, 3, 17, 9), Random(14, 9, 5), t => t[0].MatMul(t[1])),
            _ => (Random(13, 3, 17, 12), Random(14, 3, 9, 8), t => t[0].Narrow(2, 1, 9).MatMul(t[1].Narrow(2, 2, 5))),
        };
        // A broadcast B gathers its gradient over 6 batch matrices × 17 rows: 102 BF16-rounded products per element.
        Check($"matmul {layout}", dtype, [a, b], [0, 1], f, bf16GradientAtol: layout == "broadcast_batch" ? 0.06 : null);
    }
}
