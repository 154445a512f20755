using System.Runtime.InteropServices;
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
    public void TransfersRoundTripEveryStorageTypeBitForBit()
    {
        var device = Device.Cuda(CudaTestSupport.RequireDevice().DeviceIndex);
        var random = new Random(20240611);
        foreach (var dtype in new[] { DType.F32, DType.F64, DType.BF16, DType.F16, DType.I32, DType.I64, DType.U8, DType.Bool })
        {
            // Random bit patterns (NaN payloads, subnormals, negative zeros and all) — Bool holds only 0 and 1.
            var bytes = new byte[3 * 7 * dtype.SizeOf()];
            random.NextBytes(bytes);
            if (dtype == DType.Bool) for (var i = 0; i < bytes.Length; i++) bytes[i] &= 1;
            var host = FromBytes(bytes, dtype);
            var x = new Tensor(Backends.For(Device.Cpu).Upload(host, dtype), Layout.Contiguous(new Shape(3, 7)));

            var back = x.To(device).T.Contiguous().To(Device.Cpu);
            Assert.That(back.DType, Is.EqualTo(dtype));
            CudaComparisons.Record();
            Assert.That(Bits(back), Is.EqualTo(Bits(x.T.Contiguous())), $"{dtype} transposed round trip, bit for bit");
            var value = dtype switch { DType.Bool => 1, DType.U8 => 200, _ => -3.25 };
            CudaComparisons.Record();
            Assert.That(Bits(Tensor.Full(new Shape(5), value, dtype, device)), Is.EqualTo(Bits(Tensor.Full(new Shape(5), value, dtype))), $"{dtype} fill");
        }
    }

    private static Array FromBytes(byte[] bytes, DType dtype) => dtype.HostType() switch
    {
        var t when t == typeof(float) => MemoryMarshal.Cast<byte, float>(bytes).ToArray(),
        var t when t == typeof(double) => MemoryMarshal.Cast<byte, double>(bytes).ToArray(),
        var t when t == typeof(ushort) => MemoryMarshal.Cast<byte, ushort>(bytes).ToArray(),
        var t when t == typeof(Half) => MemoryMarshal.Cast<byte, Half>(bytes).ToArray(),
        var t when t == typeof(int) => MemoryMarshal.Cast<byte, int>(bytes).ToArray(),
        var t when t == typeof(long) => MemoryMarshal.Cast<byte, long>(bytes).ToArray(),
        _ => bytes,
    };

    private static byte[] Bits(Tensor t) => Backends.For(t.Device).Download(t) switch
    {
        float[] f => MemoryMarshal.AsBytes(f.AsSpan()).ToArray(),
        double[] d => MemoryMarshal.AsBytes(d.AsSpan()).ToArray(),
        ushort[] h => MemoryMarshal.AsBytes(h.AsSpan()).ToArray(),
        Half[] h16 => MemoryMarshal.AsBytes(h16.AsSpan()).ToArray(),
        int[] i => MemoryMarshal.AsBytes(i.AsSpan()).ToArray(),
        long[] l => MemoryMarshal.AsBytes(l.AsSpan()).ToArray(),
        byte[] b => b,
        var other => throw new NotSupportedException(other.GetType().Name),
    };
}
