using NUnit.Framework;
using StyleAlign.Engine.Cuda;

namespace StyleAlign.Tests.Cuda;

[TestFixture, Category("Unit")]
public sealed class KernelArgsTests
{
    [Test]
    public unsafe void KernelArgsStoreEachValueAtItsNaturalAlignment()
    {
        var layout = StridedLayoutArg.Create([2, 3], [3, 1]);
        var args = new KernelArgs().Int(7).Long(-5).Float(1.5f).Value(layout).Pointer(0xABCDEFUL);
        Assert.That(args.Count, Is.EqualTo(5));
        Assert.That(args.Sizes, Is.EqualTo(new[] { 4, 8, 4, 8 + 8 * 8 * 2, 8 }), "the sizes a kernel's parameter list is checked against");
        args.WithParameterPointers(array =>
        {
            var pointers = (IntPtr*)array;
            Assert.That(*(int*)pointers[0], Is.EqualTo(7));
            Assert.That((long)pointers[1] % 8, Is.Zero);
            Assert.That(*(long*)pointers[1], Is.EqualTo(-5));
            Assert.That(*(float*)pointers[2], Is.EqualTo(1.5f));
            var copied = *(StridedLayoutArg*)pointers[3];
            Assert.That((copied.Rank, copied.Shape[0], copied.Shape[1], copied.Strides[0], copied.Strides[1]), Is.EqualTo((2, 2L, 3L, 3L, 1L)));
            Assert.That(*(ulong*)pointers[4], Is.EqualTo(0xABCDEFUL));
        });
    }

    [Test]
    public void KernelArgsDescribeThemselvesForErrors()
    {
        var args = new KernelArgs().Pointer(0x1000UL).Int(-3).Long(5).ULong(9).Float(0.5f).Null().Value(StridedLayoutArg.Create([2], [1]));
        Assert.That(args.Describe(), Is.EqualTo("(0x1000, -3, 5, 9, 0.5, null, <136-byte struct>)"));
    }

    [Test]
    public unsafe void KernelParametersEndWithANullTheMarkerAndEachSize()
    {
        var args = new KernelArgs().Int(7).Long(-2).Float(0.5f).Value(StridedLayoutArg.Create([3, 4], [4, 1]));
        args.WithParameterPointers(parameters =>
        {
            var p = (IntPtr*)parameters;
            Assert.That(*(int*)p[0], Is.EqualTo(7));
            Assert.That(*(long*)p[1], Is.EqualTo(-2));
            Assert.That(*(float*)p[2], Is.EqualTo(0.5f));
            Assert.That(((StridedLayoutArg*)p[3])->Rank, Is.EqualTo(2));
            Assert.That(p[4], Is.EqualTo(IntPtr.Zero), "the driver reads 4 pointers; the NULL after them ends the list");
            Assert.That((long)p[5], Is.EqualTo(KernelArgs.ArgumentSizesMarker));
            Assert.That(new[] { (long)p[6], (long)p[7], (long)p[8], (long)p[9] }, Is.EqualTo(new long[] { 4, 8, 4, sizeof(StridedLayoutArg) }));
        });
    }

    [Test]
    public void StridedLayoutArgMatchesTheCLayout()
    {
        Assert.That(System.Runtime.CompilerServices.Unsafe.SizeOf<StridedLayoutArg>(), Is.EqualTo(8 + 8 * 8 * 2));
        Assert.That(() => StridedLayoutArg.Create(new long[9], new long[9]), Throws.ArgumentException.With.Message.Contains("at most 8"));
    }
}
