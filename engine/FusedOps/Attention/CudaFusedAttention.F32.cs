using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.FusedOps.Attention;

// F32 on CUDA: the attention kernels are bf16 only, so F32 inputs (the f32 mode, used to check a device run against
// the CPU) are computed by the CPU implementation on host copies and the results uploaded. Exact, and slow: two
// host round trips per call.
public sealed partial class CudaFusedAttention
{
    private (Tensor Output, Tensor LogSumExp) ForwardOnHost(Tensor q, Tensor k, Tensor v, AttentionSegments segments, AttentionOptions options)
    {
        using Tensor hq = ToHost(q), hk = ToHost(k), hv = ToHost(v);
        var (output, lse) = CpuFusedAttention.Instance.Forward(hq, hk, hv, segments, options);
        using (output)
        using (lse)
            return (ToDevice(output), ToDevice(lse));
    }

    private (Tensor GradQ, Tensor GradK, Tensor GradV) BackwardOnHost(
        Tensor q, Tensor k, Tensor v, Tensor output, Tensor logSumExp, Tensor gradOutput, AttentionSegments segments, AttentionOptions options)
    {
        using Tensor hq = ToHost(q), hk = ToHost(k), hv = ToHost(v), ho = ToHost(output), hl = ToHost(logSumExp), hg = ToHost(gradOutput);
        var (dq, dk, dv) = CpuFusedAttention.Instance.Backward(hq, hk, hv, ho, hl, hg, segments, options);
        using (dq)
        using (dk)
        using (dv)
            return (ToDevice(dq), ToDevice(dk), ToDevice(dv));
    }

    private Tensor DecodeOnHost(Tensor q, Tensor kCache, Tensor vCache, int[] lengths, double scale)
    {
        using Tensor hq = ToHost(q), hk = ToHost(kCache), hv = ToHost(vCache);
        using var output = CpuFusedAttention.Instance.Decode(hq, hk, hv, lengths, scale);
        return ToDevice(output);
    }

    /// <summary>A host copy through the backends (not Tensor.To, which autograd would record).</summary>
    private Tensor ToHost(Tensor x) => new(new CpuStorage(DType.F32, _backend.Download(x)), Layout.Contiguous(x.Shape));

    private Tensor ToDevice(Tensor x) =>
        new(_backend.Upload(Backends.For(Device.Cpu).Download(x), x.DType), Layout.Contiguous(x.Shape));
}
