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

/// <summary>A scalar loss to back-propagate and the values to log under TRL's names.</summary>
public sealed record ObjectiveOutput(Tensor Loss, IReadOnlyDictionary<string, double> Metrics);

/// <summary>One training objective: a small scalar graph over per-row sums, lengths and reference sums.</summary>
public interface IObjective
{
    string Name { get; }

    /// <summary>True when each batch holds chosen and rejected rows; false for chosen-only SFT.</summary>
    bool UsesRejected { get; }

    /// <summary>True when the loss needs the reference model's sequence sums (DPO family).</summary>
    bool UsesReference { get; }

    /// <summary>True when the loss needs <see cref="RowLogProbs.VocabMeanSums"/> (label smoothing).</summary>
    bool UsesVocabMean { get; }

    /// <param name="policy">the policy's rows</param>
    /// <param name="referenceSums">S_ref per row (same order), or null when <see cref="UsesReference"/> is false</param>
    ObjectiveOutput Compute(RowLogProbs policy, double[]? referenceSums);

    /// <summary>State that evolves across steps (e.g. an EMA) and must survive a resume.</summary>
    IReadOnlyDictionary<string, double> State { get; }

    void LoadState(IReadOnlyDictionary<string, double> state);
}
