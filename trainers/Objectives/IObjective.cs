using StyleAlign.Engine.Core;

namespace StyleAlign.Trainers.Objectives;

/// <summary>A scalar loss to back-propagate and the values to log under TRL's names.</summary>
public sealed record ObjectiveOutput(Tensor Loss, IReadOnlyDictionary<string, double> Metrics);

/// <summary>How big one micro-batch is: its pairs (examples) and the completion targets of its chosen captions.</summary>
public readonly record struct MicroBatchSize(int Pairs, int ChosenTargets);

/// <summary>
/// One training objective: a small scalar graph over per-row sums, lengths and reference sums. The training loop
/// knows an objective only through this interface: which rows and inputs it needs, how its micro-batches add up
/// under gradient accumulation, how far training has come, and the state it carries across steps.
/// </summary>
public interface IObjective
{
    string Name { get; }

    /// <summary>True when each batch holds chosen and rejected rows; false for chosen-only SFT.</summary>
    bool UsesRejected { get; }

    /// <summary>True when the loss needs the reference model's sequence sums (DPO family).</summary>
    bool UsesReference { get; }

    /// <summary>True when the loss needs <see cref="RowLogProbs.VocabMeanSums"/> (label smoothing).</summary>
    bool UsesVocabMean { get; }

    /// <summary>
    /// What this objective's loss is a mean over, for one micro-batch: its pairs for a pair-mean loss, its target
    /// tokens for a token-mean one. Under gradient accumulation each micro-batch's loss is weighted by its share of
    /// the step's total, so the accumulated loss is the loss of the whole batch taken at once.
    /// </summary>
    double MicroBatchWeight(MicroBatchSize size);

    /// <param name="policy">the policy's rows</param>
    /// <param name="referenceSums">S_ref per row (same order), or null when <see cref="UsesReference"/> is false</param>
    ObjectiveOutput Compute(RowLogProbs policy, double[]? referenceSums);

    /// <summary>Called before each optimizer step with the fraction of the run done, in [0, 1]: drives schedules
    /// inside the objective (an annealed temperature). Most objectives have none.</summary>
    void SetProgress(double fraction)
    {
    }

    /// <summary>State that evolves across steps (e.g. an EMA) and must survive a resume.</summary>
    IReadOnlyDictionary<string, double> State => new Dictionary<string, double>();

    void LoadState(IReadOnlyDictionary<string, double> state)
    {
    }
}
