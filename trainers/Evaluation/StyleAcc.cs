namespace StyleAlign.Trainers.Evaluation;

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
