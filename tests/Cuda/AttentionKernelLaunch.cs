using StyleAlign.Engine.Attention;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;

namespace StyleAlign.Tests.Cuda;

/// <summary>
/// Launches the fused-attention kernels (kernels/attention.cu, kernels/attention_bwd.cu) with the argument lists they
/// declare, through <see cref="TestModule"/>, until the engine has a CUDA host side for them. Inputs are BF16 tensors on
/// the device; outputs are allocated with undefined contents, so a kernel that leaves an element unwritten is caught.
/// </summary>
internal sealed class AttentionKernelLaunch : IDisposable
{
    private readonly CudaBackend _backend;
    private readonly TestModule _forward, _backward;

    public AttentionKernelLaunch(CudaContext context, int headDim,
        (string File, string Find, string Replace)[]? forwardEdits = null, (string File, string Find, string Replace)[]? backwardEdits = null)
    {
        _backend = CudaBackend.For(Device.Cuda(context.DeviceIndex));
        var options = AttentionKernels.CompileOptions(headDim);
        _forward = TestModule.Family(context, "attention", options, forwardEdits ?? []);
        _backward = TestModule.Family(context, "attention_bwd", options, backwardEdits ?? []);
    }

    public (Tensor Output, Tensor LogSumExp) Forward(Tensor q, Tensor k, Tensor v, AttentionSegments segments, AttentionOptions options)
    {
        var (headsQ, headsKv, headDim) = (q.Shape[1], k.Shape[1], q.Shape[2]);
        var output = _backend.NewTensor(q.Shape, DType.BF16);
        var lse = _backend.NewTensor(new Shape(headsQ, segments.TotalQ), DType.F32);
        using var cuQ = Upload(segments.CuSeqlensQ);
        using var cuK = Upload(segments.CuSeqlensK);
        var grid = new Dim3((uint)Blocks(segments.MaxLengthQ, AttentionKernels.QueryRowsPerBlock), (uint)headsQ, (uint)segments.Count);
        _forward.Launch("attention_fwd_bf16", new LaunchConfig(grid, new Dim3(AttentionKernels.ThreadsPerBlock)), new KernelArgs()
            .Pointer(Address(q)).Pointer(Address(k)).Pointer(Address(v)).Pointer(Address(output)).Pointer(Address(lse))
            .Pointer(Address(cuQ)).Pointer(Address(cuK)).Int(segments.TotalQ).Int(headsQ).Int(headsKv).Int(headDim)
            .Float((float)options.Scale).Int(options.Causal ? 1 : 0));
        return (output, lse);
    }

    public (Tensor GradQ, Tensor GradK, Tensor GradV) Backward(Tensor q, Tensor k, Tensor v, Tensor output, Tensor lse, Tensor gradOutput,
        AttentionSegments segments, AttentionOptions options)
    {
        var (headsQ, headsKv, headDim) = (q.Shape[1], k.Shape[1], q.Shape[2]);
        var delta = _backend.NewTensor(new Shape(headsQ, segments.TotalQ), DType.F32);
        var dq = _backend.NewTensor(q.Shape, DType.BF16);
        var dk = _backend.NewTensor(k.Shape, DType.BF16);
        var dv = _backend.NewTensor(v.Shape, DType.BF16);
        using var cuQ = Upload(segments.CuSeqlensQ);
        using var cuK = Upload(segments.CuSeqlensK);
        var rowsPerBlock = AttentionKernels.ThreadsPerBlock / 32;
        _backward.Launch("attention_bwd_preprocess_bf16",
            new LaunchConfig(new Dim3((uint)Blocks(segments.TotalQ * headsQ, rowsPerBlock)), new Dim3(AttentionKernels.ThreadsPerBlock)),
            new KernelArgs().Pointer(Address(output)).Pointer(Address(gradOutput)).Pointer(Address(delta))
                .Int(segments.TotalQ).Int(headsQ).Int(headDim));
        var common = (Func<KernelArgs, KernelArgs>)(a => a.Pointer(Address(cuQ)).Pointer(Address(cuK)).Int(segments.TotalQ).Int(headsQ)
            .Int(headsKv).Int(headDim).Float((float)options.Scale).Int(options.Causal ? 1 : 0));
        var dqGrid = new Dim3((uint)Blocks(segments.MaxLengthQ, AttentionKernels.QueryRowsPerBlock), (uint)headsQ, (uint)segments.Count);
        _backward.Launch("attention_bwd_dq_bf16", new LaunchConfig(dqGrid, new Dim3(AttentionKernels.ThreadsPerBlock)), common(new KernelArgs()
            .Pointer(Address(q)).Pointer(Address(k)).Pointer(Address(v)).Pointer(Address(gradOutput)).Pointer(Address(lse))
            .Pointer(Address(delta)).Pointer(Address(dq))));
        var dkdvGrid = new Dim3((uint)Blocks(segments.MaxLengthK, AttentionKernels.KeyRowsPerBlock), (uint)headsKv, (uint)segments.Count);
        var shared = (uint)AttentionKernels.DkdvSharedBytes(headDim);
        _backward.Launch("attention_bwd_dkdv_bf16", new LaunchConfig(dkdvGrid, new Dim3(AttentionKernels.ThreadsPerBlock), shared), common(new KernelArgs()
            .Pointer(Address(q)).Pointer(Address(k)).Pointer(Address(v)).Pointer(Address(gradOutput)).Pointer(Address(lse))
            .Pointer(Address(delta)).Pointer(Address(dk)).Pointer(Address(dv))));
        delta.Dispose();
        return (dq, dk, dv);
    }

    public Tensor Decode(Tensor q, Tensor kCache, Tensor vCache, int[] lengths, double scale)
    {
        var (batch, headsQ, headDim) = (q.Shape[0], q.Shape[1], q.Shape[2]);
        var (maxTokens, headsKv) = (kCache.Shape[1], kCache.Shape[2]);
        var output = _backend.NewTensor(q.Shape, DType.BF16);
        using var deviceLengths = Upload(lengths);
        _forward.Launch("attention_decode_bf16", new LaunchConfig(new Dim3((uint)headsQ, (uint)batch), new Dim3(AttentionKernels.ThreadsPerBlock)),
            new KernelArgs().Pointer(Address(q)).Pointer(Address(kCache)).Pointer(Address(vCache)).Pointer(Address(deviceLengths))
                .Pointer(Address(output)).Int(maxTokens).Int(headsQ).Int(headsKv).Int(headDim).Float((float)scale));
        return output;
    }

    private static int Blocks(int count, int per) => Math.Max(1, (count + per - 1) / per);

    private Tensor Upload(int[] values) => Tensor.FromArray(values).To(_backend.Device);

    private ulong Address(Tensor t) => _backend.Address(t);

    public void Dispose()
    {
        _forward.Dispose();
        _backward.Dispose();
    }
}
