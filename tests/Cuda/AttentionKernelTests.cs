using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;
using static StyleAlign.Tests.Cuda.Conformance.Conformance;

namespace StyleAlign.Tests.Cuda;

/// <summary>
/// The fused-attention kernels against the CPU fused attention, launched through the engine's <see cref="CudaFusedAttention"/>:
/// packed variable-length segments (one of length 1, one longer than a 64-row tile), grouped-query heads, a head dim
/// that is padded inside the kernel (72 → 80) and the largest one (128, whose dK/dV kernel needs more than 48 KB of
/// dynamic shared memory), causal masks aligned bottom-right including rows that see no key.
/// </summary>
[TestFixture, Category("Cuda")]
public sealed class AttentionKernelTests
{
    private const int HeadsQ = 4, HeadsKv = 2;

    // Self-attention segments, and cross segments whose queries outnumber keys (so early causal rows see nothing).
    private static readonly AttentionSegments SelfSegments = new([0, 70, 71, 201], [0, 70, 71, 201]);
    private static readonly AttentionSegments CrossSegments = new([0, 45, 46, 106], [0, 30, 39, 169]);

    private static IEnumerable<TestCaseData> Cases(string pass) =>
        from headDim in new[] { 72, 128 }
        from causal in new[] { false, true }
        from self in new[] { true, false }
        where self || causal
        select new TestCaseData(headDim, causal, self).SetName($"Attention{pass}_D{headDim}_{(causal ? "causal" : "full")}_{(self ? "self" : "cross")}");

    private static IEnumerable<TestCaseData> ForwardCases() => Cases("Forward");

    private static IEnumerable<TestCaseData> BackwardCases() => Cases("Backward");

    internal static (Tensor Q, Tensor K, Tensor V) RoundedInputs(int seed, AttentionSegments segments, int headDim)
    {
        var q = Random(seed, segments.TotalQ, HeadsQ, headDim);
        var k = Random(seed + 1, segments.TotalK, HeadsKv, headDim);
        var v = Random(seed + 2, segments.TotalK, HeadsKv, headDim);
        return (RoundedOracle(q, DType.BF16), RoundedOracle(k, DType.BF16), RoundedOracle(v, DType.BF16));
    }

    internal static Tensor OnDevice(Tensor x) => x.To(DType.BF16).To(TestDevice());

    [TestCaseSource(nameof(ForwardCases))]
    public void ForwardMatchesTheCpu(int headDim, bool causal, bool self)
    {
        CudaTestSupport.RequireDevice();
        var segments = self ? SelfSegments : CrossSegments;
        var options = new AttentionOptions(causal, 1 / Math.Sqrt(headDim));
        var (q, k, v) = RoundedInputs(7, segments, headDim);
        var kernels = CudaFusedAttention.For(TestDevice());
        var (output, lse) = kernels.Forward(OnDevice(q), OnDevice(k), OnDevice(v), segments, options);
        var (expectedOutput, expectedLse) = CpuFusedAttention.Instance.Forward(q, k, v, segments, options);
        Compare($"attention forward D={headDim} causal={causal} output", output, expectedOutput, DType.BF16);
        Compare($"attention forward D={headDim} causal={causal} log-sum-exp", lse, expectedLse, DType.F32);
    }

    [TestCaseSource(nameof(BackwardCases))]
    public void BackwardMatchesTheCpu(int headDim, bool causal, bool self)
    {
        CudaTestSupport.RequireDevice();
        var segments = self ? SelfSegments : CrossSegments;
        var options = new AttentionOptions(causal, 1 / Math.Sqrt(headDim), Deterministic: true);
        var (q, k, v) = RoundedInputs(11, segments, headDim);
        var gradOutput = RoundedOracle(Random(14, segments.TotalQ, HeadsQ, headDim), DType.BF16);
        var kernels = CudaFusedAttention.For(TestDevice());
        var (qd, kd, vd, god) = (OnDevice(q), OnDevice(k), OnDevice(v), OnDevice(gradOutput));
        var (output, lse) = kernels.Forward(qd, kd, vd, segments, options);
        var (dq, dk, dv) = kernels.Backward(qd, kd, vd, output, lse, god, segments, options);
        // The CPU recomputes from the same (BF16) output and log-sum-exp the device saved.
        var (expectedDq, expectedDk, expectedDv) = CpuFusedAttention.Instance.Backward(q, k, v, output.To(DType.F32).To(Device.Cpu),
            lse.To(Device.Cpu), gradOutput, segments, options);
        Compare($"attention backward D={headDim} causal={causal} dQ", dq, expectedDq, DType.BF16);
        Compare($"attention backward D={headDim} causal={causal} dK", dk, expectedDk, DType.BF16);
        Compare($"attention backward D={headDim} causal={causal} dV", dv, expectedDv, DType.BF16);
    }

    [TestCase(128), TestCase(64)]
    public void DecodeMatchesTheCpu(int headDim)
    {
        CudaTestSupport.RequireDevice();
        int[] lengths = [1, 37, 70];
        const int maxTokens = 70;
        var q = RoundedOracle(Random(21, lengths.Length, HeadsQ, headDim), DType.BF16);
        var kCache = RoundedOracle(Random(22, lengths.Length, maxTokens, HeadsKv, headDim), DType.BF16);
        var vCache = RoundedOracle(Random(23, lengths.Length, maxTokens, HeadsKv, headDim), DType.BF16);
        var scale = 1 / Math.Sqrt(headDim);
        var kernels = CudaFusedAttention.For(TestDevice());
        var output = kernels.Decode(OnDevice(q), OnDevice(kCache), OnDevice(vCache), lengths, scale);
        Compare($"attention decode D={headDim}", output, CpuFusedAttention.Instance.Decode(q, kCache, vCache, lengths, scale), DType.BF16);
    }
}
