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
    public void StridedLayoutArgMatchesTheCLayout()
    {
        Assert.That(System.Runtime.CompilerServices.Unsafe.SizeOf<StridedLayoutArg>(), Is.EqualTo(8 + 8 * 8 * 2));
        Assert.That(() => StridedLayoutArg.Create(new long[9], new long[9]), Throws.ArgumentException.With.Message.Contains("at most 8"));
    }
}
