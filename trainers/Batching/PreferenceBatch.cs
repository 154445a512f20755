using StyleAlign.Engine.Core;
using StyleAlign.Engine.Models.Qwen25VL;

namespace StyleAlign.Trainers.Batching;

/// <summary>
/// One collated batch. Rows are [chosen 0..B−1 ; rejected 0..B−1] (or chosen only), right-padded to T.
/// <see cref="TargetMask"/>[r, p] is true when token p of row r is a completion target (caption tokens and
/// &lt;|im_end|&gt;); the logits that score it sit at position p − 1. Images are kept once per pair. The decoder runs
/// the rows packed (<see cref="PackedBatch"/>), each pair's prompt once when <see cref="SharePrefix"/>.
/// </summary>
public sealed record PreferenceBatch(
    long[,] InputIds,
    long[,] AttentionMask,
    bool[,] TargetMask,
    Tensor? PixelValues,
    IReadOnlyList<(int T, int H, int W)> PairGrids,
    IReadOnlyList<string> ExampleIds,
    bool HasRejected)
{
    /// <summary>
    /// Runs each pair's prompt (image included) once, the chosen and rejected captions both attending to it; losses and
    /// gradients equal the unshared rows' (false: every row runs alone, as a reference).
    /// </summary>
    public bool SharePrefix { get; init; } = true;

    public int Pairs => ExampleIds.Count;

    public int Rows => InputIds.GetLength(0);

    public int Length => InputIds.GetLength(1);

    /// <summary>Non-padding tokens in the batch (throughput accounting).</summary>
    public long TokenCount
    {
        get
        {
            long n = 0;
            foreach (var m in AttentionMask) n += m;
            return n;
        }
    }

    /// <summary>Completion targets of each row.</summary>
    public double[] TargetCounts()
    {
        var counts = new double[Rows];
        for (var r = 0; r < Rows; r++)
            for (var p = 0; p < Length; p++)
                if (TargetMask[r, p]) counts[r]++;
        return counts;
    }

    /// <summary>The grids of every row in row order: each pair's image appears once per row that shows it.</summary>
    public IReadOnlyList<(int T, int H, int W)> RowGrids => HasRejected ? [.. PairGrids, .. PairGrids] : PairGrids;

    /// <summary>The packed sequences the decoder runs and the rows that predict each completion target.</summary>
    public PackedBatch Pack(Qwen25VLModel model) => PackedBatch.Pack(this, model);

    public Qwen25VLInputs ModelInputs() => new(InputIds, AttentionMask, null, PixelValues is null ? null : RowGrids);
}
