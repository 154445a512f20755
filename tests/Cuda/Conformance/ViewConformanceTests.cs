using NUnit.Framework;
using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;
using static StyleAlign.Tests.Cuda.Conformance.Conformance;

namespace StyleAlign.Tests.Cuda.Conformance;

// View ops move no data themselves; their backward passes (and the copies a non-viewable reshape needs) do.
[TestFixture, Category("Cuda")]
public sealed class ViewConformanceTests
{
    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(ReshapeOp))]
    public void ReshapeOfATransposedViewCopies(DType dtype) =>
        Check("reshape", dtype, [Random(61, 6, 35)], [0], t => t[0].T.Reshape(7, 30) * 2.0);

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(PermuteOp))]
    public void PermuteThenContiguousMath(DType dtype) =>
        Check("permute", dtype, [Random(62, 3, 4, 5)], [0], t => t[0].Permute(2, 0, 1).Exp());

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(NarrowOp))]
    public void NarrowBackwardScattersIntoZeros(DType dtype) =>
        Check("narrow", dtype, [Random(63, 5, 9)], [0], t => t[0].Narrow(1, 2, 5).Narrow(0, 1, 3).Square());

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(ExpandOp))]
    public void ExpandBackwardSumsTheBroadcastDims(DType dtype) =>
        Check("expand", dtype, [Random(64, 3, 1)], [0], t => t[0].Expand(new Shape(2, 3, 129)).Tanh());

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(ContiguousOp))]
    public void ContiguousOfAPermutedNarrowedView(DType dtype) =>
        Check("contiguous", dtype, [Random(65, 4, 6, 10)], [0], t => t[0].Narrow(2, 3, 6).Permute(1, 2, 0).Contiguous());

    [Test]
    public void TransfersRoundTripEveryStorageType()
    {
        var device = Device.Cuda(CudaTestSupport.RequireDevice().DeviceIndex);
        foreach (var dtype in new[] { DType.F32, DType.F64, DType.BF16, DType.I32, DType.I64, DType.U8, DType.Bool })
        {
            var values = Enumerable.Range(0, 3 * 7).Select(i => (double)(i % 2)).ToArray();
            var x = Tensor.FromDoubles(values, new Shape(3, 7), dtype);
            var back = x.To(device).T.Contiguous().To(Device.Cpu);
            Assert.That(back.DType, Is.EqualTo(dtype));
            Assert.That(back.ToDoubleArray(), Is.EqualTo(x.T.Contiguous().ToDoubleArray()), $"{dtype} transposed round trip");
            Assert.That(Tensor.Full(new Shape(5), 1, dtype, device).ToDoubleArray(), Is.All.EqualTo(1.0), $"{dtype} fill");
        }
    }
}
