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
        if (chunk.DType == DType.F32) ChunkLogits<float>(hidden, weight, bias, start, count, chunk);
        else ChunkLogits<double>(hidden, weight, bias, start, count, chunk);
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
        if (chunkGrad.DType == DType.F32) ChunkAccumulate<float>(chunkGrad, hidden, weight, start, count, gradHidden, gradWeight, gradBias);
        else ChunkAccumulate<double>(chunkGrad, hidden, weight, start, count, gradHidden, gradWeight, gradBias);
    }

    private static void ChunkLogits<T>(Tensor hidden, Tensor weight, Tensor? bias, int start, int count, Tensor chunk)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = hidden.Shape[1];
        var vocab = weight.Shape[0];
        var (h, hOff) = Dense<T>(hidden);
        var (w, wOff) = Dense<T>(weight);
        var (z, zOff) = Output<T>(chunk);
        Gemm(false, true, count, vocab, d, h, hOff + start * d, d, w, wOff, d, false, z, zOff, vocab);
        if (bias is null) return;
        var (b, bOff) = Dense<T>(bias);
        var biasRow = new ReadOnlySpan<T>(b, bOff, vocab);
        for (var i = 0; i < count; i++)
        {
            var row = z.AsSpan(zOff + i * vocab, vocab);
            TensorPrimitives.Add(row, biasRow, row);
        }
    }

    private static void ChunkForward<T>(Tensor chunk, Tensor targets, int start, int count, Tensor logProbs, Tensor logSumExp, Tensor? entropy)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var vocab = chunk.Shape[1];
        var (z, zOff) = Output<T>(chunk);
        var y = TargetsOf(targets);
        var (lp, lpOff) = Output<T>(logProbs);
        var (lse, lseOff) = Output<T>(logSumExp);
        var (ent, entOff) = entropy is null ? (null, 0) : Output<T>(entropy);
        ForEachRow(count, vocab, (i, buffer) =>
        {
            var row = new ReadOnlySpan<T>(z, zOff + i * vocab, vocab);
            var tmp = MemoryMarshal.Cast<byte, T>(buffer.AsSpan())[..vocab];
            var max = TensorPrimitives.Max(row);
            TensorPrimitives.Subtract(row, max, tmp);
            TensorPrimitives.Exp(tmp, tmp);
            var sumExp = TensorPrimitives.Sum<T>(tmp);
            var rowLse = max + T.Log(sumExp);
            lse[lseOff + start + i] = rowLse;
            var target = y[start + i];
            lp[lpOff + start + i] = target < 0 ? T.Zero : row[(int)target] - rowLse;
            if (ent is not null)
                ent[entOff + start + i] = target < 0 ? T.Zero : rowLse - TensorPrimitives.Dot<T>(tmp, row) / sumExp;
        });
    }

    private static void ChunkBackward<T>(Tensor chunk, Tensor targets, int start, int count, Tensor logSumExp, Tensor gradLogProbs, Tensor? entropy, Tensor? gradEntropy)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var vocab = chunk.Shape[1];
        var (z, zOff) = Output<T>(chunk);
        var y = TargetsOf(targets);
        var (lse, lseOff) = Dense<T>(logSumExp);
        var (g, gOff) = Dense<T>(gradLogProbs);
        var (ent, entOff) = entropy is null || gradEntropy is null ? (null, 0) : Dense<T>(entropy);
        var (gEnt, gEntOff) = entropy is null || gradEntropy is null ? (null, 0) : Dense<T>(gradEntropy);
        ForEachRow(count, vocab, (i, buffer) =>
        {
            var row = z.AsSpan(zOff + i * vocab, vocab);
            var target = y[start + i];
            if (target < 0)
            {
                row.Clear();
                return;
            }
            var p = MemoryMarshal.Cast<byte, T>(buffer.AsSpan())[..vocab];
            var gRow = g[gOff + start + i];
            var rowLse = lse[lseOff + start + i];
            if (gEnt is null || gEnt[gEntOff + start + i] == T.Zero)
            {
                TensorPrimitives.Subtract(row, rowLse, row);
                TensorPrimitives.Exp(row, row);
                TensorPrimitives.Multiply(row, -gRow, row);
            }
            else
            {
                // dH/dz = −p·(log p + H): the row becomes log p first, then the combined factor.
                var gH = gEnt[gEntOff + start + i];
                TensorPrimitives.Subtract(row, rowLse, row);
                TensorPrimitives.Exp(row, p);
                TensorPrimitives.Add(row, ent![entOff + start + i], row);
                TensorPrimitives.Multiply(row, gH, row);
                TensorPrimitives.Add(row, gRow, row);
                TensorPrimitives.Multiply(row, p, row);
                TensorPrimitives.Negate(row, row);
            }
            row[(int)target] += gRow;
        });
    }

    private static void ChunkAccumulate<T>(Tensor chunkGrad, Tensor hidden, Tensor weight, int start, int count, Tensor? gradHidden, Tensor? gradWeight, Tensor? gradBias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = hidden.Shape[1];
        var vocab = weight.Shape[0];
        var (gz, gzOff) = Output<T>(chunkGrad);
        if (gradHidden is not null)
        {
            var (w, wOff) = Dense<T>(weight);
            var (dh, dhOff) = Output<T>(gradHidden);
            Gemm(false, false, count, d, vocab, gz, gzOff, vocab, w, wOff, d, false, dh, dhOff + start * d, d);
        }
        if (gradWeight is not null)
        {
            var (h, hOff) = Dense<T>(hidden);
            var (dw, dwOff) = Output<T>(gradWeight);
            Gemm(true, false, vocab, d, count, gz, gzOff, vocab, h, hOff + start * d, d, true, dw, dwOff, d);
        }
        if (gradBias is not null)
        {
            var (db, dbOff) = Output<T>(gradBias);
            var acc = db.AsSpan(dbOff, vocab);
            for (var i = 0; i < count; i++) TensorPrimitives.Add(acc, new ReadOnlySpan<T>(gz, gzOff + i * vocab, vocab), acc);
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

    private static void Gemm<T>(bool transA, bool transB, int m, int n, int k, T[] a, int aOff, int lda, T[] b, int bOff, int ldb, bool accumulate, T[] c, int cOff, int ldc)
    {
        if (m == 0 || n == 0) return;
        if (typeof(T) == typeof(float))
            CpuGemm.Sgemm(transA, transB, m, n, k, 1f, ((float[])(object)a).AsSpan(aOff), lda, ((float[])(object)b).AsSpan(bOff), ldb, accumulate ? 1f : 0f, ((float[])(object)c).AsSpan(cOff), ldc);
        else
            CpuGemm.Dgemm(transA, transB, m, n, k, 1.0, ((double[])(object)a).AsSpan(aOff), lda, ((double[])(object)b).AsSpan(bOff), ldb, accumulate ? 1.0 : 0.0, ((double[])(object)c).AsSpan(cOff), ldc);
    }

    /// <summary>The storage array and start of a contiguous tensor (a dense copy when it is strided).</summary>
    private static (T[] Data, int Offset) Dense<T>(Tensor x)
    {
        x.ThrowIfDisposed();
        return x.IsContiguous ? (x.CpuStorage().As<T>(), checked((int)x.Layout.Offset)) : (Strided.Dense<T>(x), 0);
    }

    /// <summary>The storage array and start of a tensor the kernels write into: it must be contiguous.</summary>
    private static (T[] Data, int Offset) Output<T>(Tensor x)
    {
        x.ThrowIfDisposed();
        if (!x.IsContiguous) throw new ArgumentException($"log-prob kernels write into contiguous tensors, got a strided {x.Shape} view");
        return (x.CpuStorage().As<T>(), checked((int)x.Layout.Offset));
    }

    private static long[] TargetsOf(Tensor indices, string what = "targets") => indices.DType switch
    {
        DType.I64 => Strided.Dense<long>(indices),
        DType.I32 => Array.ConvertAll(Strided.Dense<int>(indices), v => (long)v),
        _ => throw new ArgumentException($"{what} must be I64 or I32, got {indices.DType}"),
    };

    private static void RequireCompute(DType dtype, string what)
    {
        if (dtype is not (DType.F32 or DType.F64))
            throw new NotSupportedException($"{what} on the CPU computes in F32 or F64, got {dtype}");
    }
}
