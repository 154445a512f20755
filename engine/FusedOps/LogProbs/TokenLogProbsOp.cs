using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.FusedOps.LogProbs;

/// <summary>
/// Fused linear + selective log-softmax (docs/fused-ops.md): ℓ[i] = log softmax(h_i·Wᵀ + b)[y_i],
/// chunked over rows so that at most one chunk of logits [C, V] exists; only the log-sum-exp (and the entropy,
/// when requested) is saved. Backward recomputes each chunk's logits, turns them in place into dL/dz, and
/// accumulates dH per chunk and dW, db across chunks. With entropy the output is [2, N]: row 0 the log-probs,
/// row 1 the entropies.
/// </summary>
public sealed class TokenLogProbsOp : Op
{
    private Tensor _hidden = null!, _weight = null!, _targets = null!, _logSumExp = null!;
    private Tensor? _bias, _entropy;
    private int _chunkRows;

    /// <summary>Computes the output; see <see cref="TokenLogProbs"/> for the public entry points.</summary>
    public static Tensor Apply(Tensor hidden, Tensor weight, Tensor targets, Tensor? bias, bool withEntropy, int? chunkRows)
    {
        Validate(hidden, weight, targets, bias);
        var kernels = Backends.For<IFusedLogProbs>(hidden.Device);
        var computeDType = ComputeDType(hidden.DType);
        var n = hidden.Shape[0];
        var vocab = weight.Shape[0];
        if (chunkRows is <= 0) throw new ArgumentOutOfRangeException(nameof(chunkRows), $"chunk rows must be positive, got {chunkRows}");
        var rows = Math.Clamp(chunkRows ?? kernels.DefaultChunkRows(vocab, computeDType), 1, Math.Max(n, 1));

        var output = Tensor.Zeros(withEntropy ? new Shape(2, n) : new Shape(n), computeDType, hidden.Device);
        var logProbs = RowOf(output, 0, n);
        var entropy = withEntropy ? RowOf(output, 1, n) : null;
        var logSumExp = Tensor.Zeros(new Shape(n), computeDType, hidden.Device);
        var h = hidden.IsContiguous ? hidden : hidden.Backend.Contiguous(hidden);
        var w = weight.IsContiguous ? weight : weight.Backend.Contiguous(weight);
        if (n > 0)
        {
            using var chunk = kernels.AllocateChunk(Math.Min(rows, n), vocab, computeDType);
            for (var start = 0; start < n; start += rows)
            {
                var count = Math.Min(rows, n - start);
                kernels.ChunkLogits(h, w, bias, start, count, chunk);
                kernels.ChunkForward(chunk, targets, start, count, logProbs, logSumExp, entropy);
            }
        }

        var op = new TokenLogProbsOp { _hidden = h, _weight = w, _targets = targets, _bias = bias, _logSumExp = logSumExp, _entropy = entropy, _chunkRows = rows };
        var inputs = bias is null ? new[] { hidden, weight } : [hidden, weight, bias];
        op.Record(output, inputs);
        if (output.GradFn != op) logSumExp.Dispose();
        return output;
    }

    protected internal override Tensor?[] Backward(Tensor g)
    {
        var kernels = Backends.For<IFusedLogProbs>(_hidden.Device);
        var n = _hidden.Shape[0];
        var d = _hidden.Shape[1];
        var vocab = _weight.Shape[0];
        var computeDType = _logSumExp.DType;
        var gc = (g.DType == computeDType ? g : g.To(computeDType)).Contiguous();
        var gradLogProbs = RowOf(gc, 0, n);
        var gradEntropy = _entropy is not null && gc.ToDoubleArray().AsSpan(n).ContainsAnyExcept(0.0) ? RowOf(gc, 1, n) : null;

        // Gradients are accumulated in the compute dtype (fp32 for fp32/bf16 inputs) and cast at the end.
        var gradHidden = NeedsGrad(0) ? Tensor.Zeros(new Shape(n, d), computeDType, _hidden.Device) : null;
        var gradWeight = NeedsGrad(1) ? Tensor.Zeros(new Shape(vocab, d), computeDType, _hidden.Device) : null;
        var gradBias = _bias is not null && NeedsGrad(2) ? Tensor.Zeros(new Shape(vocab), computeDType, _hidden.Device) : null;
        if (n > 0 && (gradHidden ?? gradWeight ?? gradBias) is not null)
        {
            using var chunk = kernels.AllocateChunk(Math.Min(_chunkRows, n), vocab, computeDType);
            for (var start = 0; start < n; start += _chunkRows)
            {
                var count = Math.Min(_chunkRows, n - start);
                kernels.ChunkLogits(_hidden, _weight, _bias, start, count, chunk);
                kernels.ChunkBackward(chunk, _targets, start, count, _logSumExp, gradLogProbs, _entropy, gradEntropy);
                kernels.ChunkAccumulate(chunk, _hidden, _weight, start, count, gradHidden, gradWeight, gradBias);
            }
        }
        var result = new Tensor?[Inputs.Count];
        result[0] = CastTo(gradHidden, Inputs[0].DType);
        result[1] = CastTo(gradWeight, Inputs[1].DType);
        if (Inputs.Count > 2) result[2] = CastTo(gradBias, Inputs[2].DType);
        return result;
    }

    private static Tensor? CastTo(Tensor? grad, DType dtype) => grad is null || grad.DType == dtype ? grad : grad.Backend.Cast(grad, dtype);

    private static DType ComputeDType(DType input) => input == DType.F64 ? DType.F64 : DType.F32;

    /// <summary>Row r of a contiguous [2, N] tensor (or the whole of an [N] one) as an [N] view.</summary>
    private static Tensor RowOf(Tensor x, int r, int n) => x.ViewAs(Layout.Contiguous(new Shape(n), x.Layout.Offset + (long)r * n));

    private static void Validate(Tensor hidden, Tensor weight, Tensor targets, Tensor? bias)
    {
        if (hidden.Rank != 2) throw new ArgumentException($"token log-probs: hidden must be [N, d], got {hidden.Shape}");
        if (weight.Rank != 2 || weight.Shape[1] != hidden.Shape[1])
            throw new ArgumentException($"token log-probs: weight must be [V, d] with d = {hidden.Shape[1]}, got {weight.Shape}");
        // A frozen bf16 LM head meets f32 hidden states on the CPU: it is widened while the GEMM packs it.
        var bf16Head = weight.DType == DType.BF16 && hidden.DType == DType.F32 && hidden.Device.IsCpu;
        if (weight.DType != hidden.DType && !bf16Head) throw new ArgumentException($"token log-probs: hidden is {hidden.DType} but weight is {weight.DType}");
        if (!hidden.DType.IsFloat()) throw new ArgumentException($"token log-probs: hidden must be a float tensor, got {hidden.DType}");
        if (weight.Device != hidden.Device || targets.Device != hidden.Device)
            throw new ArgumentException($"token log-probs: hidden on {hidden.Device}, weight on {weight.Device}, targets on {targets.Device}");
        if (targets.Rank != 1 || targets.Shape[0] != hidden.Shape[0])
            throw new ArgumentException($"token log-probs: targets must be [N] with N = {hidden.Shape[0]}, got {targets.Shape}");
        if (targets.DType is not (DType.I64 or DType.I32)) throw new ArgumentException($"token log-probs: targets must be I64 or I32, got {targets.DType}");
        if (bias is not null && (bias.Rank != 1 || bias.Shape[0] != weight.Shape[0] || bias.DType != hidden.DType))
            throw new ArgumentException($"token log-probs: bias must be [{weight.Shape[0]}] {hidden.DType}, got {bias.Shape} {bias.DType}");
        var vocab = weight.Shape[0];
        var ids = targets.ToLongArray();
        for (var i = 0; i < ids.Length; i++)
            if (ids[i] >= vocab) throw new ArgumentOutOfRangeException(nameof(targets), $"token log-probs: target {ids[i]} at row {i} is outside the vocabulary [0, {vocab}) (negative targets are ignored)");
    }
}
