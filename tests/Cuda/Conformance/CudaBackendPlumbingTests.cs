using System.Text.RegularExpressions;
using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;

namespace StyleAlign.Tests.Cuda.Conformance;

/// <summary>What can be checked of the CUDA backend without a GPU: the plans it hands to kernels and the names it launches.</summary>
[TestFixture, Category("Unit")]
public sealed partial class CudaBackendPlumbingTests
{
    [Test]
    public void DropoutHashIsTheCpuDropoutUniform()
    {
        var seeds = new ulong[] { 0, 1, 7, 99, 20261123, 0xDEADBEEFCAFEF00D, ulong.MaxValue };
        foreach (var seed in seeds)
            for (long i = 0; i < 20_000; i += 1 + i / 7)
                Assert.That(DropoutHash.Uniform(seed, (ulong)i), Is.EqualTo(CpuBackend.DropoutUniform(seed, i)), $"seed {seed}, element {i}");
        // A p between two 24-bit steps is where a 24-bit hash would disagree with the CPU's 53-bit one.
        var mask = CpuBackend.Instance.DropoutMask(new Shape(4096), 0.3000000001, 5).ToDoubleArray();
        for (var i = 0; i < mask.Length; i++) Assert.That(mask[i] == 1, Is.EqualTo(DropoutHash.Keep(5, 0, i, 0.3000000001)), $"element {i}");
    }

    [Test]
    public void CoalescingMergesWhatEveryViewStepsThroughAsOne()
    {
        var (shape, strides) = StridedPlan.Coalesce([2, 3, 4], [12, 4, 1]);
        Assert.That(shape, Is.EqualTo(new long[] { 24 }));
        Assert.That(strides[0], Is.EqualTo(new long[] { 1 }));

        // A transposed [3, 4] view cannot merge; a size-1 dim disappears.
        (shape, strides) = StridedPlan.Coalesce([3, 1, 4], [1, 99, 3]);
        Assert.That(shape, Is.EqualTo(new long[] { 3, 4 }));
        Assert.That(strides[0], Is.EqualTo(new long[] { 1, 3 }));

        // Two views: dims merge only where both allow it (b broadcasts the inner two dims with stride 0).
        (shape, strides) = StridedPlan.Coalesce([2, 3, 5], [15, 5, 1], [1, 0, 0]);
        Assert.That(shape, Is.EqualTo(new long[] { 2, 15 }));
        Assert.That(strides[0], Is.EqualTo(new long[] { 15, 1 }));
        Assert.That(strides[1], Is.EqualTo(new long[] { 1, 0 }));

        (shape, _) = StridedPlan.Coalesce([1, 1], [5, 7]);
        Assert.That(shape, Is.Empty, "a one-element view has no dims left; the kernel argument treats it as a scalar");
    }

    [Test]
    public void MoreThanEightUnmergeableDimsAreRefusedByName()
    {
        var dims = Enumerable.Repeat(2, 9).ToArray();
        var strides = Enumerable.Range(0, 9).Select(i => (long)(1 << (2 * (8 - i)))).ToArray(); // every dim has a gap
        var (shape, merged) = StridedPlan.Coalesce(dims, strides);
        Assert.That(shape, Has.Length.EqualTo(9));
        var error = Assert.Throws<NotSupportedException>(() => StridedPlan.Argument(shape, merged[0], "binary Add"));
        Assert.That(error!.Message, Does.Contain("binary Add").And.Contain("8"));
    }

    [Test]
    public void GemmOperandsAreReadInPlaceOrCopied()
    {
        var dense = Layout.Contiguous(new Shape(3, 17, 9));
        Assert.That(GemmOperand.TryPlan(dense, 17, 9), Is.EqualTo(new GemmOperand(false, 17 * 9)));
        Assert.That(GemmOperand.TryPlan(dense.Transpose(1, 2), 9, 17), Is.EqualTo(new GemmOperand(true, 17 * 9)), "a transposed view is a transpose flag");
        Assert.That(GemmOperand.TryPlan(Layout.Contiguous(new Shape(9, 5)).Expand(new Shape(2, 3, 9, 5)), 9, 5), Is.EqualTo(new GemmOperand(false, 0)), "a broadcast batch has stride 0");
        Assert.That(GemmOperand.TryPlan(dense.Narrow(2, 1, 7), 17, 7), Is.Null, "a narrowed matrix has a leading dimension cuBLAS is not given");
        var mixed = Layout.Contiguous(new Shape(3, 1, 4, 4)).Expand(new Shape(3, 2, 4, 4));
        Assert.That(GemmOperand.TryPlan(mixed, 4, 4), Is.Null, "broadcast inside a real batch dim has no single stride");
        var batchPermuted = Layout.Contiguous(new Shape(2, 3, 4, 4)).Permute(1, 0, 2, 3);
        Assert.That(GemmOperand.TryPlan(batchPermuted, 4, 4), Is.Null);
        Assert.That(GemmOperand.TryPlan(Layout.Contiguous(new Shape(2, 3, 4, 4)), 4, 4), Is.EqualTo(new GemmOperand(false, 16)), "batch dims merge into one stride");
    }

    [Test]
    public void ReductionPlanMovesReducedDimsLast()
    {
        var (perm, rows, rowLength, outShape) = CudaBackend.ReductionPlan(new Shape(2, 3, 4), [0, -1], keepDim: false);
        Assert.That(perm, Is.EqualTo(new[] { 1, 0, 2 }));
        Assert.That((rows, rowLength), Is.EqualTo((3L, 8L)));
        Assert.That(outShape, Is.EqualTo(new Shape(3)));
        Assert.That(CudaBackend.ReductionPlan(new Shape(2, 3, 4), [1], keepDim: true).OutShape, Is.EqualTo(new Shape(2, 1, 4)));
    }

    [Test]
    public void IndexedDimMovesAreUndoneExactly()
    {
        var layout = Layout.Contiguous(new Shape(2, 3, 4, 5));
        for (var d = 0; d < 4; d++)
        {
            var front = layout.Permute(CudaBackend.ToFront(4, d));
            Assert.That(front.Shape[0], Is.EqualTo(layout.Shape[d]), $"dim {d} moved first");
            var back = front.Permute(CudaBackend.FromFront(4, d));
            Assert.That((back.Shape, back.Strides), Is.EqualTo((layout.Shape, layout.Strides)), $"dim {d} back from the front");
            var last = layout.Permute(CudaBackend.ToLast(4, d));
            Assert.That(last.Shape[^1], Is.EqualTo(layout.Shape[d]), $"dim {d} moved last");
            back = last.Permute(CudaBackend.FromLast(4, d));
            Assert.That((back.Shape, back.Strides), Is.EqualTo((layout.Shape, layout.Strides)), $"dim {d} back from the end");
        }
        // A gather window keeps the indexed dim whole and takes the index's extent elsewhere, over the same storage.
        var window = CudaBackend.Window(layout.Narrow(1, 1, 2), new Shape(1, 2, 7, 3), 2);
        Assert.That(window.Shape, Is.EqualTo(new Shape(1, 2, 4, 3)));
        Assert.That((window.Strides, window.Offset), Is.EqualTo((new long[] { 60, 20, 5, 1 }, 20L)));
    }

    [Test]
    public void FillValuesAreEncodedAsStorageBits()
    {
        Assert.That(CudaBackend.ElementBits(1.0, DType.BF16), Is.EqualTo(0x3F80UL));
        Assert.That(CudaBackend.ElementBits(1.0, DType.F32), Is.EqualTo(0x3F800000UL));
        Assert.That(CudaBackend.ElementBits(-2.5, DType.F64), Is.EqualTo(BitConverter.DoubleToUInt64Bits(-2.5)));
        Assert.That(CudaBackend.ElementBits(-1, DType.I64), Is.EqualTo(ulong.MaxValue));
        Assert.That(CudaBackend.ElementBits(-1, DType.I32), Is.EqualTo(0xFFFFFFFFUL));
        Assert.That(CudaBackend.ElementBits(3, DType.Bool), Is.EqualTo(1UL));
    }

    [Test]
    public void KernelOpCodesFollowTheEngineEnums()
    {
        foreach (var kind in Enum.GetValues<BinaryKind>().Where(k => !k.IsComparison()))
            Assert.That(CudaBackend.BinaryOp(kind).ToString(), Is.EqualTo(kind.ToString()));
        var compare = Enum.GetValues<BinaryKind>().Where(k => k.IsComparison()).Select(k => CudaBackend.CompareOp(k)).ToArray();
        Assert.That(compare, Is.EquivalentTo(Enum.GetValues<CompareKernelOp>()));
        foreach (var kind in Enum.GetValues<ReduceKind>())
            Assert.That(CudaBackend.ReduceOp(kind).ToString(), Is.EqualTo(kind.ToString()));

        // tensor.cu takes UnaryKind's values as its op codes: compare the enum in the source with UnaryKind.
        var source = KernelSources.Source("tensor");
        var body = EnumRegex().Match(source).Groups[1].Value;
        var codes = CodeRegex().Matches(body).ToDictionary(m => m.Groups[1].Value.Replace("_", ""), m => int.Parse(m.Groups[2].Value));
        var expected = Enum.GetValues<UnaryKind>().ToDictionary(k => k.ToString().ToUpperInvariant(), k => (int)k);
        Assert.That(codes, Is.EquivalentTo(expected));
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
    public void LaunchGeometryCoversEveryElementAndRow()
    {
        Assert.That(LaunchConfig.ForElements(1).Grid.X, Is.EqualTo(1u));
        Assert.That(LaunchConfig.ForElements(257).Grid.X, Is.EqualTo(2u));
        Assert.That(LaunchConfig.ForElements(1L << 40).Grid.X, Is.EqualTo(65535u * 8), "grid-stride kernels loop past the capped grid");
        Assert.That(LaunchConfig.ForRows(600, 256), Is.EqualTo(new LaunchConfig(new Dim3(600), new Dim3(256))));
    }

    [Test, Category("KernelCompile")]
    public void EveryKernelTheBackendLaunchesExistsInItsCubin()
    {
        CudaTestSupport.RequireNvrtc();
        var entries = CudaKernelNames.All();
        Assert.That(entries.Select(e => e.Family).Distinct(), Is.SubsetOf(KernelSources.Families));
        foreach (var family in entries.GroupBy(e => e.Family))
        {
            var compiled = KernelCompiler.Compile(family.Key, "sm_80").Kernels.Select(k => k.Kernel).ToHashSet();
            var missing = family.Where(e => !compiled.Contains(e.Name)).Select(e => e.ToString()).ToList();
            Assert.That(missing, Is.Empty, $"entry points the backend launches but {family.Key}.cu does not define");
        }
    }

    [Test]
    public void WithoutADeviceTheCudaBackendSaysWhy()
    {
        if (CudaContext.IsAvailable) Assert.Ignore("a CUDA device is present; this checks the message where there is none");
        var error = Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(new Shape(2), DType.F32, Device.Cuda()));
        Assert.That(error!.Message, Does.StartWith("No CUDA device:"));
    }

    [GeneratedRegex(@"enum TensorUnaryOp\s*\{([^}]*)\}")] private static partial Regex EnumRegex();
    [GeneratedRegex(@"T_(\w+)\s*=\s*(\d+)")] private static partial Regex CodeRegex();
}
