using StyleAlign.Engine.Core;

namespace StyleAlign.Trainers.Objectives;

/// <summary>
/// Per-row statistics of one batch: rows are [chosen 0..B−1 ; rejected 0..B−1] for preference objectives, or the
/// chosen rows only for SFT. <see cref="Sums"/> [R] is S = Σ_t ℓ_t over each row's completion targets (differentiable);
/// <see cref="Lengths"/> is the number of targets per row; <see cref="VocabMeanSums"/> [R], when present, is
/// Σ_t mean_v log p_t(v), the label-smoothing term.
/// </summary>
public sealed record RowLogProbs(Tensor Sums, double[] Lengths, Tensor? VocabMeanSums = null)
{
    public int Rows => Lengths.Length;
}
