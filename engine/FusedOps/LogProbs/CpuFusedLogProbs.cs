using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;

namespace StyleAlign.Engine.FusedOps.LogProbs;

/// <summary>
/// CPU chunk primitives: GEMMs through <see cref="CpuGemm"/>, and row passes vectorized with TensorPrimitives
/// and spread over the cores. Each row of a chunk is read by the forward pass once (max, then exp/sum/dot on a
/// per-thread row buffer that stays in cache) and rewritten in place by the backward pass.
/// </summary>
public sealed partial class CpuFusedLogProbs : IFusedLogProbs
{
    public static readonly CpuFusedLogProbs Instance = new();

    private CpuFusedLogProbs()
    {
    }

    /// <summary>Registers the CPU implementation for <see cref="DeviceKind.Cpu"/> when the engine assembly loads.</summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The engine registers its own implementations; registering stores a factory and does no work.")]
    internal static void Register() => Backends.Register<IFusedLogProbs>(DeviceKind.Cpu, _ => Instance);

    public Device Device => Device.Cpu;

    /// <summary>Bytes one chunk of logits may take; the default row count per chunk follows from it.</summary>
    public long ChunkBudgetBytes { get; set; } = 64L << 20;

    public int DefaultChunkRows(int vocab, DType computeDType) =>
        (int)Math.Clamp(ChunkBudgetBytes / ((long)Math.Max(vocab, 1) * computeDType.SizeOf()), 1, int.MaxValue);

    public Tensor AllocateChunk(int rows, int vocab, DType computeDType)
    {
        RequireCompute(computeDType, "chunk buffer");
        return Tensor.Zeros(new Shape(rows, vocab), computeDType);
    }

    public void ChunkLogits(Tensor hidden, Tensor weight, Tensor? bias, int start, int count, Tensor chunk)
    {
        if (chunk.DType == DType.F64) ChunkLogits<double, double>(hidden, weight, bias, start, count, chunk);
        else if (weight.DType == DType.BF16) ChunkLogits<float, ushort>(hidden, weight, bias, start, count, chunk);
        else ChunkLogits<float, float>(hidden, weight, bias, start, count, chunk);
    }

    public void ChunkForward(Tensor chunk, Tensor targets, int start, int count, Tensor logProbs, Tensor logSumExp, Tensor? entropy)
    {
        if (chunk.DType == DType.F32) ChunkForward<float>(chunk, targets, start, count, logProbs, logSumExp, entropy);
        else ChunkForward<double>(chunk, targets, start, count, logProbs, logSumExp, entropy);
    }

    public void ChunkBackward(Tensor chunk, Tensor targets, int start, int count, Tensor logSumExp, Tensor gradLogProbs, Tensor? entropy, Tensor? gradEntropy)
    {
        if (chunk.DType == DType.F32) ChunkBackward<float>(chunk, targets, start, count, logSumExp, gradLogProbs, entropy, gradEntropy);
        else ChunkBackward<double>(chunk, targets, start, count, logSumExp, gradLogProbs, entropy, gradEntropy);
    }

    public void ChunkAccumulate(Tensor chunkGrad, Tensor hidden, Tensor weight, int start, int count, Tensor? gradHidden, Tensor? gradWeight, Tensor? gradBias)
    {
        if (chunkGrad.DType == DType.F64) ChunkAccumulate<double, double>(chunkGrad, hidden, weight, start, count, gradHidden, gradWeight, gradBias);
        else if (weight.DType == DType.BF16) ChunkAccumulate<float, ushort>(chunkGrad, hidden, weight, start, count, gradHidden, gradWeight, gradBias);
        else ChunkAccumulate<float, float>(chunkGrad, hidden, weight, start, count, gradHidden, gradWeight, gradBias);
    }

    /// <summary>A BF16 weight (a frozen LM head read straight from its checkpoint) is widened while the GEMM packs it.</summary>
    private static void ChunkLogits<T, TW>(Tensor hidden, Tensor weight, Tensor? bias, int start, int count, Tensor chunk)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TW : unmanaged
    {
        var d = hidden.Shape[1];
        var vocab = weight.Shape[0];
        using var h = Strided.Dense<T>(hidden);
        using var w = Strided.Dense<TW>(weight);
        var z = Output<T>(chunk);
        CpuGemm.Gemm<T, TW, T>(GemmKernelKind.Auto, false, true, count, vocab, d, T.One, h.AsSpan((long)start * d), d, w, d, T.Zero, z, vocab);
        if (bias is null) return;
        using var b = Strided.Dense<T>(bias);
        for (var i = 0; i < count; i++)
        {
            var row = z.AsSpan((long)i * vocab, vocab);
            TensorPrimitives.Add(row, b, row);
        }
    }

    private static void ChunkForward<T>(Tensor chunk, Tensor targets, int start, int count, Tensor logProbs, Tensor logSumExp, Tensor? entropy)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var vocab = chunk.Shape[1];
        var z = Output<T>(chunk);
        var y = TargetsOf(targets);
        var lp = Output<T>(logProbs);
        var lse = Output<T>(logSumExp);
        var ent = entropy is null ? default : Output<T>(entropy);
        var withEntropy = entropy is not null;
        ForEachRow(count, vocab, (i, buffer) =>
        {
            ReadOnlySpan<T> row = z.AsSpan((long)i * vocab, vocab);
            var tmp = MemoryMarshal.Cast<byte, T>(buffer.AsSpan())[..vocab];
            var max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, tmp);
            TensorPrimitives.Exp(tmp, tmp);
            var sumExp = TensorPrimitives.Sum<T>(tmp);
            var rowLse = max + T.Log(sumExp);
            lse[start + i] = rowLse;
            var target = y[start + i];
            lp[start + i] = target < 0 ? T.Zero : row[(int)target] - rowLse;
            if (withEntropy)
                ent[start + i] = target < 0 ? T.Zero : rowLse - TensorPrimitives.Dot<T>(tmp, row) / sumExp;
        });
    }

    private static void ChunkBackward<T>(Tensor chunk, Tensor targets, int start, int count, Tensor logSumExp, Tensor gradLogProbs, Tensor? entropy, Tensor? gradEntropy)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var vocab = chunk.Shape[1];
        var z = Output<T>(chunk);
        var y = TargetsOf(targets);
        using var lse = Strided.Dense<T>(logSumExp);
        using var g = Strided.Dense<T>(gradLogProbs);
        var withEntropy = entropy is not null && gradEntropy is not null;
        using var ent = withEntropy ? Strided.Dense<T>(entropy!) : default;
        using var gEnt = withEntropy ? Strided.Dense<T>(gradEntropy!) : default;
        ForEachRow(count, vocab, (i, buffer) =>
        {
            var row = z.AsSpan((long)i * vocab, vocab);
            var target = y[start + i];
            if (target < 0)
            {
                row.Clear();
                return;
            }
            var p = MemoryMarshal.Cast<byte, T>(buffer.AsSpan())[..vocab];
            var gRow = g[start + i];
            var rowLse = lse[start + i];
            if (!withEntropy || gEnt[start + i] == T.Zero)
            {
                TensorPrimitives.Subtract(row, rowLse, row);
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Multiply(row, -gRow, row);
            }
            else
            {
                // dH/dz = −p·(log p + H): the row becomes log p first, then the combined factor.
                var gH = gEnt[start + i];
                TensorPrimitives.Subtract(row, rowLse, row);
                TensorPrimitives.Exp(row, p);
                TensorPrimitives.Add(row, ent[start + i], row);
                TensorPrimitives.Multiply(row, gH, row);
                TensorPrimitives.Add(row, gRow, row);
                TensorPrimitives.Multiply(row, p, row);
                TensorPrimitives.Negate(row, row);
            }
            row[(int)target] += gRow;
        });
    }

    private static void ChunkAccumulate<T, TW>(Tensor chunkGrad, Tensor hidden, Tensor weight, int start, int count, Tensor? gradHidden, Tensor? gradWeight, Tensor? gradBias)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TW : unmanaged
    {
        var d = hidden.Shape[1];
        var vocab = weight.Shape[0];
        var gz = Output<T>(chunkGrad);
        if (gradHidden is not null)
        {
            using var w = Strided.Dense<TW>(weight);
            var dh = Output<T>(gradHidden);
            CpuGemm.Gemm<T, TW, T>(GemmKernelKind.Auto, false, false, count, d, vocab, T.One, gz, vocab, w, d, T.Zero, dh.AsSpan((long)start * d), d);
        }
        if (gradWeight is not null)
        {
            using var h = Strided.Dense<T>(hidden);
            var dw = Output<T>(gradWeight);
            CpuGemm.Gemm<T, T, T>(GemmKernelKind.Auto, true, false, vocab, d, count, T.One, gz, vocab, h.AsSpan((long)start * d), d, T.One, dw, d);
        }
        if (gradBias is not null)
        {
            Span<T> acc = Output<T>(gradBias);
            for (var i = 0; i < count; i++) TensorPrimitives.Add(acc, gz.AsSpan((long)i * vocab, vocab), acc);
        }
    }

    /// <summary>
    /// Runs body(row, buffer) over the rows on every core; each worker borrows one row-sized byte buffer from the
    /// shared pool, so repeated chunks reuse the same few buffers instead of leaving garbage behind.
    /// </summary>
    private static void ForEachRow(int count, int vocab, Action<int, byte[]> body)
    {
        var rowBytes = vocab * sizeof(double);
        var workers = Math.Min(Environment.ProcessorCount, count);
        var perWorker = workers <= 1 ? count : (count + workers - 1) / workers;
        void Work(int worker)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(rowBytes);
            try
            {
                var end = Math.Min(count, (worker + 1) * perWorker);
                for (var i = worker * perWorker; i < end; i++) body(i, buffer);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        if (workers <= 1) Work(0);
        else Parallel.For(0, workers, Work);
    }

    /// <summary>The elements of a tensor the kernels write into: it must be contiguous.</summary>
    private static CpuBuffer<T> Output<T>(Tensor x)
        where T : unmanaged
    {
        x.ThrowIfDisposed();
        if (!x.IsContiguous) throw new ArgumentException($"log-prob kernels write into contiguous tensors, got a strided {x.Shape} view");
        return Strided.Elements<T>(x).Slice(x.Layout.Offset, checked((int)x.NumElements));
    }

    private static long[] TargetsOf(Tensor indices, string what = "targets") => CpuBackend.IndexValues(indices, what);

    private static void RequireCompute(DType dtype, string what)
    {
        if (dtype is not (DType.F32 or DType.F64))
            throw new NotSupportedException($"{what} on the CPU computes in F32 or F64, got {dtype}");
    }
}
