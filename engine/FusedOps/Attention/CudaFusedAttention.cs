using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>
/// Fused attention on a CUDA device through kernels/attention.cu and kernels/attention_bwd.cu: bf16 q, k, v and
/// output, fp32 log-sum-exp [Hq, Tq] and row dots, head dims that are multiples of 8 up to 128. Inputs that are
/// strided views, or whose first element is not 16-byte aligned (the kernels stream rows with 16-byte cp.async
/// copies), are copied dense first. The segment bounds are uploaded per call and freed in stream order. Segments
/// that read a key prefix run on materialized keys (CudaFusedAttention.Prefixes.cs). F32 inputs are computed by the
/// CPU implementation on host copies (CudaFusedAttention.F32.cs).
/// </summary>
public sealed partial class CudaFusedAttention : IFusedAttention
{
    /// <summary>The alignment of every row the kernels read with cp.async (16 bytes, eight bf16 values).</summary>
    internal const int RowAlignmentBytes = 16;

    private static readonly ConcurrentDictionary<int, CudaFusedAttention> Instances = new();
    private readonly CudaBackend _backend;
    private readonly AttentionKernels _forward;
    private readonly AttentionBwdKernels _backward;

    /// <summary>Launches through <paramref name="launcher"/> (the device's own, or a test's that edits or records launches).</summary>
    internal CudaFusedAttention(CudaBackend backend, IKernelLauncher launcher)
    {
        _backend = backend;
        _forward = new AttentionKernels(launcher);
        _backward = new AttentionBwdKernels(launcher);
    }

    /// <summary>Registers the CUDA implementation for <see cref="DeviceKind.Cuda"/>; nothing touches the driver until a lookup.</summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The engine registers its own implementations; registering stores a factory and does no work.")]
    internal static void Register() => Backends.Register<IFusedAttention>(DeviceKind.Cuda, For);

    /// <summary>The implementation of one CUDA device.</summary>
    public static CudaFusedAttention For(Device device)
    {
        var backend = CudaBackend.For(device);
        return Instances.GetOrAdd(device.Index, _ => new CudaFusedAttention(backend, new KernelLauncher(backend.Context)));
    }

    public (Tensor Output, Tensor LogSumExp) Forward(Tensor q, Tensor k, Tensor v, AttentionSegments segments, AttentionOptions options)
    {
        var g = AttentionGeometry.Of(q, k, v, segments);
        if (RequireFloat("attention forward", q, k, v) == DType.F32) return ForwardOnHost(q, k, v, segments, options);
        if (segments.HasKeyPrefixes) return ForwardOnMaterializedKeys(q, k, v, segments, options);
        AttentionKernels.PaddedHeadDim(g.HeadDim);
        using var scratch = new CudaBackend.Scratch(_backend);
        var output = _backend.NewTensor(q.Shape, DType.BF16);
        var lse = _backend.NewTensor(new Shape(g.HeadsQ, g.TotalQ), DType.F32);
        if (g.TotalQ == 0) return (output, lse);
        var (cuQ, cuK) = (Upload(scratch, segments.CuSeqlensQ), Upload(scratch, segments.CuSeqlensK));
        _forward.Forward(segments.Count, segments.MaxLengthQ, g.TotalQ, g.HeadsQ, g.HeadsKv, g.HeadDim, (float)options.Scale, options.Causal,
            Aligned(scratch, q), Aligned(scratch, k), Aligned(scratch, v), _backend.Address(output), _backend.Address(lse), cuQ, cuK);
        return (output, lse);
    }

    public (Tensor GradQ, Tensor GradK, Tensor GradV) Backward(
        Tensor q, Tensor k, Tensor v, Tensor output, Tensor logSumExp, Tensor gradOutput, AttentionSegments segments, AttentionOptions options)
    {
        var g = AttentionGeometry.Of(q, k, v, segments);
        var dtype = RequireFloat("attention backward", q, k, v, output);
        if (gradOutput.Shape != q.Shape) throw new ArgumentException($"attention backward: grad_output {gradOutput.Shape} must match the output shape {q.Shape}");
        if (logSumExp.Shape != new Shape(g.HeadsQ, g.TotalQ) || logSumExp.DType != DType.F32)
            throw new ArgumentException($"attention backward: log-sum-exp must be F32 [Hq, Tq] = [{g.HeadsQ}, {g.TotalQ}], got {logSumExp.DType.Name()} {logSumExp.Shape}");
        if (dtype == DType.F32) return BackwardOnHost(q, k, v, output, logSumExp, gradOutput, segments, options);
        if (segments.HasKeyPrefixes) return BackwardOnMaterializedKeys(q, k, v, output, logSumExp, gradOutput, segments, options);
        RequireSharedMemory(g.HeadDim);
        using var scratch = new CudaBackend.Scratch(_backend);
        var dq = _backend.NewTensor(q.Shape, DType.BF16);
        var dk = _backend.NewTensor(k.Shape, DType.BF16);
        var dv = _backend.NewTensor(v.Shape, DType.BF16);
        if (g.TotalK > 0) _backend.Context.Fill(Storage(dk), 0);
        if (g.TotalK > 0) _backend.Context.Fill(Storage(dv), 0);
        if (g.TotalQ == 0) return (dq, dk, dv);
        // The gradient arrives in the dtype autograd carries; the kernels read bf16.
        var gradBf16 = gradOutput.DType == DType.BF16 ? gradOutput : scratch.Own(_backend.Cast(gradOutput, DType.BF16));
        var delta = scratch.New(new Shape(g.HeadsQ, g.TotalQ), DType.F32);
        var (cuQ, cuK) = (Upload(scratch, segments.CuSeqlensQ), Upload(scratch, segments.CuSeqlensK));
        var (qa, ka, va, oa, goa) = (Aligned(scratch, q), Aligned(scratch, k), Aligned(scratch, v), Aligned(scratch, output), Aligned(scratch, gradBf16));
        var lse = Aligned(scratch, logSumExp);
        var scale = (float)options.Scale;
        _backward.Preprocess(g.TotalQ, g.HeadsQ, g.HeadDim, oa, goa, _backend.Address(delta));
        _backward.GradQuery(segments.Count, segments.MaxLengthQ, g.TotalQ, g.HeadsQ, g.HeadsKv, g.HeadDim, scale, options.Causal,
            qa, ka, va, goa, lse, _backend.Address(delta), _backend.Address(dq), cuQ, cuK);
        if (segments.MaxLengthK > 0)
            _backward.GradKeyValue(segments.Count, segments.MaxLengthK, g.TotalQ, g.HeadsQ, g.HeadsKv, g.HeadDim, scale, options.Causal,
                qa, ka, va, goa, lse, _backend.Address(delta), _backend.Address(dk), _backend.Address(dv), cuQ, cuK);
        return (dq, dk, dv);
    }

    public Tensor Decode(Tensor q, Tensor kCache, Tensor vCache, int[] lengths, double scale)
    {
        var dtype = RequireFloat("attention decode", q, kCache, vCache);
        var g = AttentionGeometry.OfDecode(q, kCache, vCache, lengths);
        if (dtype == DType.F32) return DecodeOnHost(q, kCache, vCache, lengths, scale);
        var (batch, headsQ, headDim, maxTokens, headsKv) = (g.TotalQ, g.HeadsQ, g.HeadDim, g.TotalK, g.HeadsKv);
        AttentionKernels.PaddedHeadDim(headDim);
        using var scratch = new CudaBackend.Scratch(_backend);
        var output = _backend.NewTensor(q.Shape, DType.BF16);
        if (batch == 0 || headsQ == 0) return output;
        _forward.Decode(batch, maxTokens, headsQ, headsKv, headDim, (float)scale,
            Aligned(scratch, q), Aligned(scratch, kCache), Aligned(scratch, vCache), Upload(scratch, lengths), _backend.Address(output));
        return output;
    }

    /// <summary>The one dtype of the inputs: BF16 (the kernels) or F32 (the host fallback).</summary>
    private DType RequireFloat(string op, params Tensor[] tensors)
    {
        var dtype = tensors[0].DType;
        foreach (var t in tensors)
        {
            t.ThrowIfDisposed();
            if (t.Device != _backend.Device) throw new ArgumentException($"{op} on {_backend.Device} got a tensor on {t.Device}; move it with To(device) first");
            if (t.DType is not (DType.BF16 or DType.F32))
                throw new NotSupportedException($"{op} on CUDA computes in BF16 (the kernels) or F32, got {t.DType.Name()} {t.Shape}");
            if (t.DType != dtype) throw new ArgumentException($"{op}: inputs must share one dtype, got {dtype.Name()} and {t.DType.Name()}");
        }
        return dtype;
    }

    /// <summary>The dK/dV kernel's dynamic shared memory must fit the device's opt-in limit per block.</summary>
    private void RequireSharedMemory(int headDim)
    {
        var needed = AttentionBwdKernels.DkdvSharedBytes(headDim);
        var limit = _backend.Context.MaxSharedMemoryPerBlockOptin;
        if (limit > 0 && needed > limit)
            throw new NotSupportedException($"attention backward for head dim {headDim} needs {needed} bytes of shared memory per block; {_backend.Context.DeviceName} allows {limit}");
    }

    /// <summary>The address of a dense copy of x whose first element is 16-byte aligned (x itself when it already is).</summary>
    private ulong Aligned(CudaBackend.Scratch scratch, Tensor x)
    {
        var dense = scratch.Dense(x);
        var address = _backend.Address(dense);
        if (address % RowAlignmentBytes == 0) return address;
        // A view that starts mid-row: a fresh allocation from the pool is aligned far beyond 16 bytes.
        return _backend.Address(scratch.Own(_backend.Contiguous(dense)));
    }

    private Cuda.DeviceBuffer Storage(Tensor x) => ((CudaStorage)x.Storage).Buffer;

    private ulong Upload(CudaBackend.Scratch scratch, int[] values) =>
        _backend.Address(scratch.Own(new Tensor(_backend.Upload(values, DType.I32), Layout.Contiguous(new Shape(values.Length)))));
}
