using NUnit.Framework;
using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;
using static StyleAlign.Tests.Cuda.Conformance.Conformance;

namespace StyleAlign.Tests.Cuda.Conformance;

[TestFixture, Category("Cuda")]
public sealed class IndexConformanceTests
{
    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(CatOp))]
    public void CatOfDenseAndTransposedPieces(DType dtype)
    {
        var a = Random(21, 4, 3);
        var b = Random(22, 5, 4);
        var c = Random(23, 4, 1);
        Check("cat dim 1", dtype, [a, b, c], [0, 1, 2], t => Tensor.Cat([t[0], t[1].T, t[2]], 1));
        Check("cat dim 0", dtype, [a, b], [0, 1], t => Tensor.Cat([t[0].T, t[1].Narrow(1, 0, 4)], 0));
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(IndexSelectOp))]
    public void IndexSelectWithRepeatedIndicesAlongEachDim(DType dtype)
    {
        var x = Random(24, 7, 5, 3);
        Check("index_select dim 0", dtype, [x, Indices(6, 0, 6, 2)], [0], t => t[0].IndexSelect(0, t[1]));
        Check("index_select dim 1 (i32)", dtype, [x, Tensor.FromArray(new[] { 4, 4, 1 })], [0], t => t[0].IndexSelect(1, t[1]));
        Check("index_select dim 2 of a view", dtype, [x, Indices(2, 0)], [0], t => t[0].Permute(1, 2, 0).IndexSelect(2, t[1]));
    }

    [Test]
    public void IndexSelectMovesIntegerRowsBitForBit()
    {
        var device = Device.Cuda(CudaTestSupport.RequireDevice().DeviceIndex);
        var table = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => (long)i * 1_000_000_007L).ToArray(), 4, 3);
        var index = Indices(3, 1, 3);
        Compare("index_select i64 rows", table.To(device).IndexSelect(0, index.To(device)), table.IndexSelect(0, index), DType.F32);
    }

    [Test]
    public void OutOfRangeIndexIsReportedLikeTheCpu()
    {
        var device = Device.Cuda(CudaTestSupport.RequireDevice().DeviceIndex);
        var x = Random(25, 4, 3).To(device);
        var error = Assert.Throws<IndexOutOfRangeException>(() => x.IndexSelect(0, Indices(1, 4).To(device)));
        Assert.That(error!.Message, Does.Contain("index_select").And.Contain("size 4"));
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(IndexAddOp))]
    public void IndexAddWithRepeatedIndices(DType dtype)
    {
        var target = Random(26, 6, 4);
        Check("index_add dim 0", dtype, [target, Indices(5, 1, 5, 0, 5), Random(27, 5, 4)], [0, 2], t => t[0].IndexAdd(0, t[1], t[2]));
        Check("index_add dim 1", dtype, [target, Indices(3, 3, 0), Random(28, 6, 3)], [0, 2], t => t[0].T.IndexAdd(0, t[1], t[2].T).T);
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(GatherOp))]
    public void GatherAlongEachDimWithASmallerIndex(DType dtype)
    {
        var x = Random(29, 5, 7);
        Check("gather dim 1", dtype, [x, Indices([6, 0, 6, 1, 2, 3, 4, 5, 0, 0, 1, 1], 4, 3)], [0], t => t[0].Gather(1, t[1]));
        Check("gather dim 0", dtype, [x, Indices([4, 0, 1, 3, 3, 2], 2, 3)], [0], t => t[0].Gather(0, t[1]));
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(ScatterAddOp))]
    public void ScatterAddIntoAWindowWithRepeats(DType dtype)
    {
        var target = Random(30, 4, 6);
        var src = Random(31, 3, 3);
        Check("scatter_add dim 1", dtype, [target, Indices([5, 5, 0, 1, 2, 1], 3, 2), src], [0, 2], t => t[0].ScatterAdd(1, t[1], t[2]));
        Check("scatter_add dim 0", dtype, [target, Indices([3, 3, 0, 1, 0, 2], 2, 3), src], [0, 2], t => t[0].ScatterAdd(0, t[1], t[2]));
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(TokenRowsOp))]
    public void TokenRowsPackAndUnpack(DType dtype)
    {
        int[] rows = [4, 0, 2, 5];
        Check("pack tokens", dtype, [Random(32, 6, 3, 5)], [0], t => TokenRowsOp.Pack(t[0], rows));
        Check("unpack tokens", dtype, [Random(33, 4, 7)], [0], t => TokenRowsOp.Unpack(t[0], rows, 6));
    }

    [Test]
    public void Bf16ScattersSumRepeatedIndicesInF32AndRoundOnce()
    {
        // 300 additions of 1 into one element: bf16 keeps 8 significant bits, so a sum rounded after every addition
        // stops at 256 (256 + 1 rounds back to 256); summed in f32 and rounded once it is 300.
        var device = Device.Cuda(CudaTestSupport.RequireDevice().DeviceIndex);
        var ones = Tensor.Ones(new Shape(300, 2), DType.BF16, device);
        var rows = Tensor.Zeros(new Shape(3, 2), DType.BF16, device).IndexAdd(0, Tensor.FromArray(new long[300]).To(device), ones);
        Assert.That(rows.ToDoubleArray(), Is.EqualTo(new double[] { 300, 300, 0, 0, 0, 0 }), "index_add");
        var lastDim = Tensor.Zeros(new Shape(2, 3), DType.BF16, device)
            .ScatterAdd(1, Tensor.FromArray(new long[600], 2, 300).To(device), Tensor.Ones(new Shape(2, 300), DType.BF16, device));
        Assert.That(lastDim.ToDoubleArray(), Is.EqualTo(new double[] { 300, 0, 0, 300, 0, 0 }), "scatter_add");
    }
}
