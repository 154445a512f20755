namespace StyleAlign.Engine.Nn;

public enum LearningRateDecay
{
    Cosine,
    Linear,
    Constant,
}

/// <summary>
/// Linear warmup from 0 to the peak over WarmupSteps, then a cosine or linear decay to MinLearningRate at
/// TotalSteps (held there afterwards). Steps count optimizer updates from 0; as in transformers' schedules,
/// step s &lt; warmup gets peak · s / warmup, so step 0 has learning rate 0 when there is a warmup.
/// </summary>
public sealed record LearningRateSchedule(double PeakLearningRate, int WarmupSteps, int TotalSteps, LearningRateDecay Decay = LearningRateDecay.Cosine, double MinLearningRate = 0)
{
    public double At(long step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), $"step {step} is negative");
        if (step < WarmupSteps) return PeakLearningRate * step / WarmupSteps;
        var decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        var progress = Math.Min(1.0, (double)(step - WarmupSteps) / decaySteps);
        var span = PeakLearningRate - MinLearningRate;
        return Decay switch
        {
            LearningRateDecay.Cosine => MinLearningRate + span * 0.5 * (1 + Math.Cos(Math.PI * progress)),
            LearningRateDecay.Linear => MinLearningRate + span * (1 - progress),
            _ => PeakLearningRate,
        };
    }
}
