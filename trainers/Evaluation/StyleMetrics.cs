namespace StyleAlign.Trainers.Evaluation;

/// <summary>
/// WR-LogP (alignment spec §1(a), PROPOSAL, primary reading): the percentage of examples whose stylized reference
/// caption has a strictly higher mean token log-prob than the factual one under the evaluated model. Ties lose.
/// </summary>
public static class WrLogP
{
    public static double Compute(IEnumerable<(double StylizedMean, double FactualMean)> pairs)
    {
        var n = 0;
        var wins = 0;
        foreach (var (stylized, factual) in pairs)
        {
            if (double.IsNaN(stylized) || double.IsNaN(factual)) throw new ArgumentException($"WR-LogP pair {n} holds NaN ({stylized}, {factual})");
            n++;
            if (stylized > factual) wins++;
        }
        if (n == 0) throw new ArgumentException("WR-LogP of no examples is undefined");
        return 100.0 * wins / n;
    }
}

/// <summary>Style-Acc: the percentage of captions the style classifier scores above 0.5.</summary>
public static class StyleAcc
{
    public static double Compute(IEnumerable<double> stylizedProbabilities)
    {
        var n = 0;
        var stylized = 0;
        foreach (var p in stylizedProbabilities)
        {
            if (double.IsNaN(p) || p < 0 || p > 1) throw new ArgumentException($"style probability {p} of caption {n} is outside [0, 1]");
            n++;
            if (p > 0.5) stylized++;
        }
        if (n == 0) throw new ArgumentException("Style-Acc of no captions is undefined");
        return 100.0 * stylized / n;
    }

    /// <summary>The classifier's accuracy on reference captions in percent: stylized ones must score above 0.5, factual ones not.</summary>
    public static double Ceiling(IEnumerable<(double Probability, bool Stylized)> references)
    {
        var n = 0;
        var correct = 0;
        foreach (var (p, isStylized) in references)
        {
            n++;
            if ((p > 0.5) == isStylized) correct++;
        }
        if (n == 0) throw new ArgumentException("the classifier ceiling of no reference captions is undefined");
        return 100.0 * correct / n;
    }
}
