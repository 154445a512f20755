using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.FusedOps.LogProbs;

/// <summary>
/// CUDA chunk primitives of the fused linear + log-prob: each chunk's logits [C, V] are one cuBLAS GEMM writing fp32
/// (bf16 hidden × bf16 weight with fp32 accumulation, or fp32 × fp32), the row passes are kernels/logprob.cu, and
/// the backward GEMMs read the chunk's dL/dz in the operands' dtype and sum dH and dW in fp32. The row gathers,
/// scatters and segment sums stay on the device (the backend's index kernels, summing in fp32). F64 is not computed on CUDA.
/// </summary>
public sealed class CudaFusedLogProbs : IFusedLogProbs
{
    private static readonly ConcurrentDictionary<int, CudaFusedLogProbs> Instances = new();
    private readonly CudaBackend _backend;
    private readonly LogprobKernels _kernels;

    internal CudaFusedLogProbs(CudaBackend backend, IKernelLauncher launcher)
    {
        _backend = backend;
        _kernels = new LogprobKernels(launcher);
    }

    /// <summary>Registers the CUDA implementation for <see cref="DeviceKind.Cuda"/>; nothing touches the driver until a lookup.</summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The engine registers its own implementations; registering stores a factory and does no work.")]
    internal static void Register() => Backends.Register<IFusedLogProbs>(DeviceKind.Cuda, For);

    /// <summary>The implementation of one CUDA device.</summary>
    public static CudaFusedLogProbs For(Device device)
    {
        var backend = CudaBackend.For(device);
        return Instances.GetOrAdd(device.Index, _ => new CudaFusedLogProbs(backend, new KernelLauncher(backend.Context)));
    }

    public Device Device => _backend.Device;

    /// <summary>
    /// Most bytes one chunk of fp32 logits may take. The backward also holds the chunk's gradient in the operands'
    /// dtype beside it, so a chunk gets at most a quarter of the free memory.
    /// </summary>
    public long MaxChunkBytes { get; set; } = 1L << 30;

    public int DefaultChunkRows(int vocab, DType computeDType)
    {
        RequireCompute(computeDType, "chunk size");
        var (free, _) = _backend.Context.MemoryInfo();
        var budget = Math.Min(MaxChunkBytes, free / 4);
        return (int)Math.Clamp(budget / ((long)Math.Max(vocab, 1) * sizeof(float)), 1, int.MaxValue);
    }

    public Tensor AllocateChunk(int rows, int vocab, DType computeDType)
    {
        RequireCompute(computeDType, "chunk buffer");
        return _backend.NewTensor(new Shape(rows, vocab), DType.F32);
    }

    public void ChunkLogits(Tensor hidden, Tensor weight, Tensor? bias, int start, int count, Tensor chunk)
    {
        var (d, vocab) = (hidden.Shape[1], weight.Shape[0]);
        var type = OperandType(hidden, weight);
        if (count == 0) return;
        using var rows = RowsOf(chunk, 0, count);
        var beta = 0f;
        if (bias is not null)
        {
            // The GEMM adds onto the bias rows (beta 1): no second pass over the chunk.
            using var wideBias = bias.DType == DType.F32 ? null : _backend.Cast(bias, DType.F32);
            var source = wideBias ?? bias;
            using var broadcast = source.ViewAs(source.Layout.Expand(rows.Shape));
            _backend.CopyInto(rows, broadcast);
            beta = 1f;
        }
        CudaGemm.RowMajor(_backend.Context, type, false, true, count, vocab, d, RowAddress(hidden, start), _backend.Address(weight),
            _backend.Address(rows), beta: beta, outputType: GemmElementType.F32);
    }

    public void ChunkForward(Tensor chunk, Tensor targets, int start, int count, Tensor logProbs, Tensor logSumExp, Tensor? entropy)
    {
        if (count == 0) return;
        using var scratch = new CudaBackend.Scratch(_backend);
        var vocab = chunk.Shape[1];
        _kernels.ChunkForward(DType.F32, count, vocab, vocab, _backend.Address(chunk), TargetAddress(scratch, targets, start),
            ElementAddress(logProbs, start), ElementAddress(logSumExp, start), entropy is null ? 0 : ElementAddress(entropy, start));
    }

    public void ChunkBackward(Tensor chunk, Tensor targets, int start, int count, Tensor logSumExp, Tensor gradLogProbs, Tensor? entropy, Tensor? gradEntropy)
    {
        if (count == 0) return;
        using var scratch = new CudaBackend.Scratch(_backend);
        var vocab = chunk.Shape[1];
        var withEntropy = entropy is not null && gradEntropy is not null;
        _kernels.ChunkBackward(DType.F32, count, vocab, vocab, _backend.Address(chunk), TargetAddress(scratch, targets, start), ElementAddress(logSumExp, start),
            ElementAddress(gradLogProbs, start), withEntropy ? ElementAddress(entropy!, start) : 0, withEntropy ? ElementAddress(gradEntropy!, start) : 0);
    }

    public void ChunkAccumulate(Tensor chunkGrad, Tensor hidden, Tensor weight, int start, int count, Tensor? gradHidden, Tensor? gradWeight, Tensor? gradBias)
    {
        var (d, vocab) = (hidden.Shape[1], weight.Shape[0]);
        var type = OperandType(hidden, weight);
        if (count == 0) return;
        using var rows = RowsOf(chunkGrad, 0, count);
        var context = _backend.Context;
        // bf16 operands: dL/dz is rounded to bf16 once so the GEMMs run on the tensor cores; the sums stay fp32.
        using var narrow = type == GemmElementType.BF16 ? _backend.Cast(rows, DType.BF16) : null;
        var g = _backend.Address(narrow ?? rows);
        if (gradHidden is not null)
            CudaGemm.RowMajor(context, type, false, false, count, d, vocab, g, _backend.Address(weight), ElementAddress(gradHidden, (long)start * d),
                outputType: GemmElementType.F32);
        if (gradWeight is not null)
            CudaGemm.RowMajor(context, type, true, false, vocab, d, count, g, RowAddress(hidden, start), _backend.Address(gradWeight),
                beta: 1f, outputType: GemmElementType.F32);
        if (gradBias is not null)
        {
            // Σ over the chunk's rows as a GEMM with a row of ones: [1, count] · [count, V], added onto gradBias.
            using var ones = _backend.Fill(new Shape(1, count), DType.F32, 1);
            CudaGemm.RowMajor(context, GemmElementType.F32, false, false, 1, vocab, count, _backend.Address(ones), _backend.Address(rows),
                _backend.Address(gradBias), beta: 1f);
        }
    }

    public Tensor GatherRows(Tensor x, int[] rows)
    {
        if (x.Rank != 2) throw new ArgumentException($"row gather needs a 2-D tensor, got {x.Shape}");
        using var index = UploadIndex(rows);
        return _backend.IndexSelect(x, 0, index);
    }

    public Tensor ScatterRows(Tensor src, int[] rows, int totalRows)
    {
        if (src.Rank != 2 || src.Shape[0] != rows.Length)
            throw new ArgumentException($"row scatter of {src.Shape} with {rows.Length} row indices");
        using var index = UploadIndex(rows);
        using var zeros = _backend.Fill(new Shape(totalRows, src.Shape[1]), src.DType, 0);
        return _backend.IndexAdd(zeros, 0, index, src);
    }

    public Tensor SegmentSum(Tensor values, Tensor segmentIds, int numSegments)
    {
        RequireSegmentValues(values.DType, "segment sum");
        if (segmentIds.NumElements != values.NumElements)
            throw new ArgumentException($"segment ids hold {segmentIds.NumElements} entries for {values.NumElements} values");
        using var zeros = _backend.Fill(new Shape(numSegments), values.DType, 0);
        return _backend.IndexAdd(zeros, 0, segmentIds, values);
    }

    public Tensor BroadcastSegments(Tensor perSegment, Tensor segmentIds)
    {
        RequireSegmentValues(perSegment.DType, "segment broadcast");
        return _backend.IndexSelect(perSegment, 0, segmentIds);
    }

    private static GemmElementType OperandType(Tensor hidden, Tensor weight)
    {
        if (!hidden.IsContiguous || !weight.IsContiguous) throw new ArgumentException("token log-probs on CUDA need contiguous hidden states and weight");
        return hidden.DType switch
        {
            DType.BF16 => GemmElementType.BF16,
            DType.F32 => GemmElementType.F32,
            _ => throw new NotSupportedException($"token log-probs on CUDA need BF16 or F32 hidden states and weight, got {hidden.DType.Name()}"),
        };
    }

    /// <summary>Rows [start, start + count) of a contiguous [R, C] tensor, as a view.</summary>
    private static Tensor RowsOf(Tensor x, int start, int count) =>
        x.ViewAs(Layout.Contiguous(new Shape(count, x.Shape[1]), x.Layout.Offset + (long)start * x.Shape[1]));

    private ulong RowAddress(Tensor x, int row) => ElementAddress(x, (long)row * x.Shape[1]);

    /// <summary>The device address of element <paramref name="index"/> of a contiguous tensor.</summary>
    private ulong ElementAddress(Tensor x, long index)
    {
        if (!x.IsContiguous) throw new ArgumentException($"log-prob kernels address contiguous tensors, got a strided {x.Shape} view");
        return _backend.Address(x) + (ulong)(index * x.DType.SizeOf());
    }

    /// <summary>The address of target <paramref name="start"/> as dense I64 (the kernels read 64-bit ids); I32 or strided targets are converted into the scratch.</summary>
    private ulong TargetAddress(CudaBackend.Scratch scratch, Tensor targets, int start)
    {
        var dense = targets.DType switch
        {
            DType.I64 => scratch.Dense(targets),
            DType.I32 => scratch.Own(_backend.Cast(targets, DType.I64)),
            _ => throw new ArgumentException($"targets must be I64 or I32, got {targets.DType}"),
        };
        return ElementAddress(dense, start);
    }

    private Tensor UploadIndex(int[] rows) => new(_backend.Upload(rows, DType.I32), Layout.Contiguous(new Shape(rows.Length)));

    /// <summary>Segment values are F32 (log-probs) or BF16; the backend's scatter sums either in fp32.</summary>
    private static void RequireSegmentValues(DType dtype, string what)
    {
        if (dtype is not (DType.F32 or DType.BF16))
            throw new NotSupportedException($"{what} on CUDA needs F32 or BF16 values, got {dtype.Name()} (F64 runs on the CPU only)");
    }

    private static void RequireCompute(DType dtype, string what)
    {
        if (dtype != DType.F32)
            throw new NotSupportedException($"{what} on CUDA computes in F32, got {dtype.Name()} (F64 runs on the CPU only)");
    }
}
