using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;
using StyleAlign.Tests.Attention;
using static StyleAlign.Tests.Cuda.Conformance.Conformance;

namespace StyleAlign.Tests.Cuda.Conformance;

/// <summary>
/// Fused attention through autograd on CUDA (the registered <see cref="CudaFusedAttention"/>) against the CPU, forward
/// and the gradients of q, k and v: the vision tower's shape (head dim 80, windows of 64 tokens, full attention), the
/// decoder's (head dim 128, causal, grouped-query heads), a tiny head dim with shared-prefix segments (fewer queries than
/// keys, and the reverse), a key prefix read by two segments, the padded entry point and a view that starts off the
/// 16-byte alignment cp.async needs. The kernels are bf16 only, so the cases run in BF16; the two shared-prefix ones
/// also run in F32 (computed on the host).
/// </summary>
[TestFixture, Category("Cuda")]
public sealed class FusedAttentionConformanceTests
{
    public static readonly DType[] Bf16 = [DType.BF16];

    [TestCaseSource(nameof(Bf16)), CudaCaseFor(typeof(AttentionOp))]
    public void VisionWindowsWithHeadDim80(DType dtype)
    {
        var segments = new AttentionSegments(AttentionSegments.Windows(150, 64), AttentionSegments.Windows(150, 64));
        Check("attention D=80 windows of 64", dtype, [Random(501, 150, 2, 80), Random(502, 150, 2, 80), Random(503, 150, 2, 80)], [0, 1, 2],
            t => FusedAttention.Varlen(t[0], t[1], t[2], segments, causal: false));
    }

    [TestCaseSource(nameof(Bf16)), CudaCaseFor(typeof(AttentionOp))]
    public void CausalGroupedQueryWithHeadDim128(DType dtype)
    {
        var segments = new AttentionSegments([0, 70, 97], [0, 70, 97]);
        Check("attention D=128 causal GQA 4:1", dtype, [Random(511, 97, 4, 128), Random(512, 97, 1, 128), Random(513, 97, 1, 128)], [0, 1, 2],
            t => FusedAttention.Varlen(t[0], t[1], t[2], segments, causal: true));
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(AttentionOp))]
    public void TinyHeadDimWithSharedPrefixSegments(DType dtype)
    {
        // Segment 0: 5 continuation queries over 12 keys (a shared prefix of 7 and themselves); segment 1: more queries
        // than keys, so its first causal rows see no key at all.
        var segments = new AttentionSegments([0, 5, 14], [0, 12, 16]);
        Check("attention D=16 shared prefix", dtype, [Random(521, 14, 4, 16), Random(522, 16, 2, 16), Random(523, 16, 2, 16)], [0, 1, 2],
            t => FusedAttention.Varlen(t[0], t[1], t[2], segments, causal: true, scale: 0.3));
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(AttentionOp))]
    public void KeyPrefixReadByTwoSegments(DType dtype)
    {
        // The kernels know no key prefixes; the device runs them on materialized keys and sums the gradients of the
        // copies back, so the 70 prompt rows' dK and dV collect what the chosen and both rejected captions send them.
        var segments = SharedPrefixAttentionTests.PrefixReadByTwoSegments();
        Check("attention key prefix read by two segments", dtype, [Random(571, 103, 4, 32), Random(572, 103, 2, 32), Random(573, 103, 2, 32)], [0, 1, 2],
            t => FusedAttention.Varlen(t[0], t[1], t[2], segments, causal: true));
    }

    [TestCaseSource(nameof(Bf16)), CudaCaseFor(typeof(AttentionOp))]
    public void PaddedBatchWithLeftPadding(DType dtype)
    {
        var mask = Tensor.FromArray(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 }, 2, 6);
        Check("attention padded", dtype, [Random(531, 2, 6, 2, 32), Random(532, 2, 6, 2, 32), Random(533, 2, 6, 2, 32)], [0, 1, 2],
            t => FusedAttention.Padded(t[0], t[1], t[2], mask.To(t[0].Device), causal: true));
    }

    [TestCaseSource(nameof(Bf16)), CudaCaseFor(typeof(AttentionOp))]
    public void InputsThatStartOffTheRowAlignment(DType dtype)
    {
        // One element into a flat buffer: a dense view whose rows start 2 bytes past a 16-byte boundary.
        var segments = new AttentionSegments([0, 9, 20], [0, 9, 20]);
        Check("attention of misaligned views", dtype, [Random(541, 20 * 2 * 24 + 1), Random(542, 20 * 2 * 24 + 1), Random(543, 20 * 2 * 24 + 1)], [0, 1, 2],
            t => FusedAttention.Varlen(Shifted(t[0]), Shifted(t[1]), Shifted(t[2]), segments, causal: false));
    }

    [TestCase(80, DType.BF16), TestCase(16, DType.BF16), TestCase(16, DType.F32)]
    public void DecodeThroughTheRegisteredImplementation(int headDim, DType dtype)
    {
        var device = TestDevice();
        int[] lengths = [3, 0, 41];
        var q = RoundedOracle(Random(551, 3, 4, headDim), dtype);
        var kCache = RoundedOracle(Random(552, 3, 41, 2, headDim), dtype);
        var vCache = RoundedOracle(Random(553, 3, 41, 2, headDim), dtype);
        var actual = FusedAttention.Decode(OnDevice(q, dtype), OnDevice(kCache, dtype), OnDevice(vCache, dtype), lengths);
        Assert.That((actual.Device, actual.DType), Is.EqualTo((device, dtype)));
        Compare($"attention decode D={headDim}", actual, FusedAttention.Decode(q, kCache, vCache, lengths), dtype);
    }

    [Test]
    public void F64InputsAreRefusedNamingWhatRuns()
    {
        var device = Device.Cuda(CudaTestSupport.RequireDevice().DeviceIndex);
        var q = Random(561, 4, 1, 16).To(DType.F64).To(device);
        var error = Assert.Throws<NotSupportedException>(() => FusedAttention.Varlen(q, q, q, new AttentionSegments([0, 4], [0, 4]), causal: false));
        Assert.That(error!.Message, Does.Contain("BF16").And.Contain("F32").And.Contain("f64"));
    }

    private static Tensor Shifted(Tensor flat) => flat.Narrow(0, 1, 20 * 2 * 24).Reshape(20, 2, 24);
}
