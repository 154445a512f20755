namespace StyleAlign.Trainers.Training;

/// <summary>
/// Early stopping on the Δlog p probes (a project choice, docs/objectives.md, "Δlog p probes"): stop when Δ⁺ has
/// fallen for <see cref="Patience"/> consecutive evaluations while Δ⁻ kept falling (the squeezing signature), or
/// when Δ⁺ drops below <see cref="PositiveFloor"/> nats per token.
/// </summary>
public sealed record EarlyStopOptions
{
    public int Patience { get; init; } = 3;
    public double PositiveFloor { get; init; } = -0.05;

    /// <summary>The reason to stop after this history of (Δ⁺, Δ⁻) probes, or null to go on.</summary>
    public string? Check(IReadOnlyList<(double Positive, double Negative)> history)
    {
        if (history.Count == 0) return null;
        var last = history[^1];
        if (last.Positive < PositiveFloor) return $"Δ⁺ = {last.Positive:F4} nats/token fell below {PositiveFloor}";
        if (history.Count <= Patience) return null;
        for (var k = history.Count - Patience; k < history.Count; k++)
            if (!(history[k].Positive < history[k - 1].Positive && history[k].Negative < history[k - 1].Negative)) return null;
        return $"squeezing: Δ⁺ and Δ⁻ both fell for {Patience} consecutive evaluations";
    }
}
