using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;
using static StyleAlign.Tests.Cuda.Conformance.Conformance;

namespace StyleAlign.Tests.Cuda;

/// <summary>
/// The backend sizes grid-stride launches so that, at test sizes, every thread handles one element; these launches cap
/// the grid at 3 blocks of 64 threads so each thread loops over several elements (the path large tensors take).
/// </summary>
[TestFixture, Category("Cuda")]
public sealed class GridStrideTests
{
    private const int N = 3 * 64 * 3 + 17;
    private static readonly LaunchConfig Capped = LaunchConfig.ForElements(N, block: 64, maxGrid: 3);

    /// <summary>The engine's launcher with every launch capped at <see cref="Capped"/>; the launcher classes pass their usual arguments.</summary>
    private static (IKernelLauncher Launcher, CudaBackend Backend) Device()
    {
        var context = CudaTestSupport.RequireDevice();
        return (new LaunchGeometryOverride(new KernelLauncher(context), _ => Capped), CudaBackend.For(Engine.Core.Device.Cuda(context.DeviceIndex)));
    }

    [Test]
    public void UnaryKernelCoversEveryElement()
    {
        var (launcher, backend) = Device();
        Assert.That(Capped.Grid.X, Is.EqualTo(3u));
        var x = Random(71, N);
        var xd = x.To(backend.Device);
        var y = backend.NewTensor(x.Shape, DType.F32);
        new TensorKernels(launcher).UnaryForward(DType.F32, UnaryKind.Silu, N, backend.Address(xd), backend.Address(y), 0);
        Compare("grid-stride unary silu", y, x.Silu(), DType.F32);
    }

    [Test]
    public void StridedCopyCoversEveryElement()
    {
        var (launcher, backend) = Device();
        var x = Random(72, 17, 35); // 595 elements, read transposed
        var xd = x.To(backend.Device);
        var y = backend.NewTensor(new Shape(35, 17), DType.F32);
        var source = StridedLayoutArg.Create([35, 17], [1, 35]);
        var destination = StridedLayoutArg.Create([35, 17], [17, 1]);
        new TensorKernels(launcher).Copy(DType.F32, 35 * 17, backend.Address(xd), source, backend.Address(y), destination);
        Compare("grid-stride strided copy", y, x.T.Contiguous(), DType.F32);
    }

    [Test]
    public void DropoutMaskCoversEveryElement()
    {
        var (launcher, backend) = Device();
        var keep = backend.NewTensor(new Shape(N), DType.U8);
        new DropoutKernels(launcher).Mask(N, backend.Address(keep), seed: 5, offset: 9, p: 0.4);
        var expected = Enumerable.Range(0, N).Select(i => SplitMix64.UniformAt(5, 9 + (ulong)i) >= 0.4 ? (byte)1 : (byte)0).ToArray();
        Compare("grid-stride dropout mask", keep, Tensor.FromArray(expected), DType.F32);
    }

    [Test]
    public void AdamWCoversEveryElement()
    {
        var (launcher, backend) = Device();
        var args = new AdamWStepArgs(1e-2, 0.9, 0.999, 1e-8, 0.1, 1 - 0.9, 1 - 0.999);
        var (p, g, m, v) = (Random(73, N), Random(74, N), Random(75, N) * 0.1, Uniform(76, 0, 0.1, N));
        var (pc, mc, vc) = (p.Clone(), m.Clone(), v.Clone());
        Backends.For(Engine.Core.Device.Cpu).AdamWStep(pc, g, mc, vc, args);
        var (pd, gd, md, vd) = (p.To(backend.Device), g.To(backend.Device), m.To(backend.Device), v.To(backend.Device));
        new AdamwKernels(launcher).Step(DType.F32, N, backend.Address(pd), backend.Address(gd), backend.Address(md), backend.Address(vd),
            args, gradScale: 1, weightsOut: 0);
        Compare("grid-stride adamw update", pd.To(Engine.Core.Device.Cpu) - p, pc - p, DType.F32, atolOverride: 1e-6);
        Compare("grid-stride adamw m", md, mc, DType.F32);
        Compare("grid-stride adamw v", vd, vc, DType.F32);
    }
}
