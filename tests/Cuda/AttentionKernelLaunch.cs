using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;
using StyleAlign.Engine.FusedOps.Attention;

namespace StyleAlign.Tests.Cuda;

/// <summary>
/// Runs the fused-attention kernels through the engine's launcher classes (<see cref="AttentionKernels"/>,
/// <see cref="AttentionBwdKernels"/>) on BF16 device tensors, until the engine registers a CUDA implementation of the
/// fused op. Outputs are allocated with undefined contents, so a kernel that leaves an element unwritten is caught.
/// The launcher is the engine's (modules compiled per head dim and cached) or <see cref="EditedKernels"/>.
/// </summary>
internal sealed class AttentionKernelLaunch(CudaContext context, IKernelLauncher? launcher = null)
{
    private readonly CudaBackend _backend = CudaBackend.For(Device.Cuda(context.DeviceIndex));
    private readonly AttentionKernels _forward = new(launcher ?? new KernelLauncher(context));
    private readonly AttentionBwdKernels _backward = new(launcher ?? new KernelLauncher(context));

    public (Tensor Output, Tensor LogSumExp) Forward(Tensor q, Tensor k, Tensor v, AttentionSegments segments, AttentionOptions options)
    {
        var (headsQ, headsKv, headDim) = (q.Shape[1], k.Shape[1], q.Shape[2]);
        var output = _backend.NewTensor(q.Shape, DType.BF16);
        var lse = _backend.NewTensor(new Shape(headsQ, segments.TotalQ), DType.F32);
        using var cuQ = Upload(segments.CuSeqlensQ);
        using var cuK = Upload(segments.CuSeqlensK);
        _forward.Forward(segments.Count, segments.MaxLengthQ, segments.TotalQ, headsQ, headsKv, headDim, (float)options.Scale, options.Causal,
            Address(q), Address(k), Address(v), Address(output), Address(lse), Address(cuQ), Address(cuK));
        return (output, lse);
    }

    public (Tensor GradQ, Tensor GradK, Tensor GradV) Backward(Tensor q, Tensor k, Tensor v, Tensor output, Tensor lse, Tensor gradOutput,
        AttentionSegments segments, AttentionOptions options)
    {
        var (headsQ, headsKv, headDim) = (q.Shape[1], k.Shape[1], q.Shape[2]);
        using var delta = _backend.NewTensor(new Shape(headsQ, segments.TotalQ), DType.F32);
        var dq = _backend.NewTensor(q.Shape, DType.BF16);
        var dk = _backend.NewTensor(k.Shape, DType.BF16);
        var dv = _backend.NewTensor(v.Shape, DType.BF16);
        using var cuQ = Upload(segments.CuSeqlensQ);
        using var cuK = Upload(segments.CuSeqlensK);
        var scale = (float)options.Scale;
        _backward.Preprocess(segments.TotalQ, headsQ, headDim, Address(output), Address(gradOutput), Address(delta));
        _backward.GradQuery(segments.Count, segments.MaxLengthQ, segments.TotalQ, headsQ, headsKv, headDim, scale, options.Causal,
            Address(q), Address(k), Address(v), Address(gradOutput), Address(lse), Address(delta), Address(dq), Address(cuQ), Address(cuK));
        _backward.GradKeyValue(segments.Count, segments.MaxLengthK, segments.TotalQ, headsQ, headsKv, headDim, scale, options.Causal,
            Address(q), Address(k), Address(v), Address(gradOutput), Address(lse), Address(delta), Address(dk), Address(dv), Address(cuQ), Address(cuK));
        return (dq, dk, dv);
    }

    public Tensor Decode(Tensor q, Tensor kCache, Tensor vCache, int[] lengths, double scale)
    {
        var (batch, headsQ, headDim) = (q.Shape[0], q.Shape[1], q.Shape[2]);
        var (maxTokens, headsKv) = (kCache.Shape[1], kCache.Shape[2]);
        var output = _backend.NewTensor(q.Shape, DType.BF16);
        using var deviceLengths = Upload(lengths);
        _forward.Decode(batch, maxTokens, headsQ, headsKv, headDim, (float)scale,
            Address(q), Address(kCache), Address(vCache), Address(deviceLengths), Address(output));
        return output;
    }

    private Tensor Upload(int[] values) => Tensor.FromArray(values).To(_backend.Device);

    private ulong Address(Tensor t) => _backend.Address(t);
}
