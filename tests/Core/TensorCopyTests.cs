using NUnit.Framework;
using StyleAlign.Engine.Core;

namespace StyleAlign.Tests.Core;

[TestFixture, Category("Unit")]
public class TensorCopyTests
{
    [Test]
    public void CopyFromWritesThroughAStridedViewAndLeavesTheRestAlone()
    {
        var x = Tensor.FromArray([1f, 2, 3, 4, 5, 6], 2, 3);
        // Column 1..2 of [[1,2,3],[4,5,6]], seen transposed: [[2,5],[3,6]] ← [[20,50],[30,60]].
        x.Narrow(1, 1, 2).T.CopyFrom(Tensor.FromArray([20f, 50, 30, 60], 2, 2));
        Assert.That(x.ToArray<float>(), Is.EqualTo(new[] { 1f, 20, 30, 4, 50, 60 }));
    }

    [Test]
    public void CopyFromRefusesAnotherShapeOrDType()
    {
        var x = Tensor.Zeros(new Shape(2, 3));
        Assert.That(() => x.CopyFrom(Tensor.Zeros(new Shape(3, 2))), Throws.ArgumentException.With.Message.Contains("[3, 2]").And.Message.Contains("[2, 3]"));
        Assert.That(() => x.CopyFrom(Tensor.Zeros(new Shape(2, 3), DType.F64)), Throws.ArgumentException.With.Message.Contains("F64"));
        Assert.That(x.ToArray<float>(), Is.All.EqualTo(0f));
    }
}
