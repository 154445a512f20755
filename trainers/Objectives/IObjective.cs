using StyleAlign.Engine.Core;

namespace StyleAlign.Trainers.Objectives;

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
