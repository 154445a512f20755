using NUnit.Framework;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Evaluation;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Evaluation;

[TestFixture]
[Category("Unit")]
public sealed class StyleMetricsTests
{
    [Test]
    public void WrLogPCountsStrictWinsAndTiesAsLosses()
    {
        Assert.That(WrLogP.Compute([(-1.0, -2.0), (-2.0, -1.0), (-1.5, -1.5)]), Is.EqualTo(100.0 / 3).Within(1e-12));
        Assert.That(WrLogP.Compute([(-0.1, -0.2), (-3.0, -3.5)]), Is.EqualTo(100.0));
        Assert.That(WrLogP.Compute([(-0.7, -0.7)]), Is.EqualTo(0.0));
        Assert.That(() => WrLogP.Compute([]), Throws.ArgumentException);
        Assert.That(() => WrLogP.Compute([(double.NaN, -1.0)]), Throws.ArgumentException.With.Message.Contains("NaN"));
    }

    [Test]
    public void WrLogPResultGivesTheWinRateAndTheProbesSinceABaseline()
    {
        var baseline = new WrLogPResult([-1.0, -2.0], [-1.5, -1.0]);
        var current = new WrLogPResult([-0.5, -1.0], [-2.0, -2.0]);
        Assert.That(baseline.WinRate, Is.EqualTo(50.0));
        Assert.That(current.WinRate, Is.EqualTo(100.0));
        var (positive, negative, margin) = current.ProbesSince(baseline);
        Assert.That(positive, Is.EqualTo(0.75).Within(1e-12), "mean of +0.5 and +1.0");
        Assert.That(negative, Is.EqualTo(-0.75).Within(1e-12), "mean of −0.5 and −1.0");
        Assert.That(margin, Is.EqualTo(1.5).Within(1e-12));
    }

    [Test]
    public void StyleAccNeedsAProbabilityAboveOneHalf()
    {
        Assert.That(StyleAcc.Compute([0.5, 0.51, 0.9, 0.1]), Is.EqualTo(50.0));
        Assert.That(StyleAcc.Ceiling([(0.9, true), (0.2, false), (0.5, true), (0.6, false)]), Is.EqualTo(50.0));
        Assert.That(() => StyleAcc.Compute([1.5]), Throws.ArgumentException);
    }

    [Test]
    public void EvaluatorReportsEveryPartAndWritesOneLinePerExample()
    {
        PreferenceExample[] examples =
        [
            new("a", "a.png", "Describe.", "silly hat", "a hat", "humor", 1),
            new("b", "b.png", "Describe.", "goofy dog", "a dog", "humor", 2),
            new("c", "c.png", "Describe.", "joke cat", "a cat", "humor", 3),
        ];
        var result = StyleEvaluator.Evaluate(examples, new FakeScorer(), new FakeGenerator(), new FakeJudge());

        // FakeScorer's mean is −1/length: the longer stylized captions always win.
        Assert.That(result.Records.Select(r => r.StylizedWins), Is.All.True);
        Assert.That(result.Summary.WrLogP, Is.EqualTo(100.0));
        Assert.That(result.Records[0].StylizedTokens, Is.EqualTo(9));
        Assert.That(result.Records[0].FactualSumLogProb, Is.EqualTo(-1.0));
        // The generator writes "plain a" for the first example only; FakeJudge calls captions stylized when they contain 'y' or 'o'.
        Assert.That(result.Records.Select(r => r.GeneratedCaption), Is.EqualTo(new[] { "plain a", "funny b", "funny c" }));
        Assert.That(result.Summary.StyleAcc, Is.EqualTo(200.0 / 3).Within(1e-9));
        // References: "silly hat" (y) 1, "a hat" 0, "goofy dog" 1, "a dog" (o) 1 — wrong, "joke cat" (o) 1, "a cat" 0 → 5 of 6.
        Assert.That(result.Summary.ClassifierCeiling, Is.EqualTo(500.0 / 6).Within(1e-9));
        Assert.That(result.Summary.N, Is.EqualTo(3));

        using var dir = new TempDirectory();
        StyleEvaluationJson.WriteRecords(dir.File("eval/records.jsonl"), result.Records);
        var lines = File.ReadAllLines(dir.File("eval/records.jsonl"));
        Assert.That(lines, Has.Length.EqualTo(3));
        Assert.That(lines[0], Does.Contain("\"id\":\"a\"").And.Contain("\"stylized_mean_logp\":").And.Contain("\"generated_caption\":\"plain a\""));
        Assert.That(StyleEvaluationJson.Summary(result.Summary, indented: false),
            Is.EqualTo("{\"n\":3,\"wr_logp\":100,\"style_acc\":66.66666666666667,\"classifier_ceiling\":83.33333333333333}"));
    }

    [Test]
    public void EvaluatorLeavesOutWhatWasNotAsked()
    {
        PreferenceExample[] examples = [new("a", "a.png", "Describe.", "silly hat", "a hat", "humor", 1)];
        var result = StyleEvaluator.Evaluate(examples, scorer: null, generator: null, classifier: new FakeJudge());
        Assert.That(result.Summary.WrLogP, Is.Null);
        Assert.That(result.Summary.StyleAcc, Is.Null);
        Assert.That(result.Summary.ClassifierCeiling, Is.EqualTo(100.0));
        Assert.That(() => StyleEvaluator.Evaluate(examples, null, new FakeGenerator()), Throws.ArgumentException.With.Message.Contains("classifier"));
        PreferenceExample[] sftOnly = [new("s", "s.png", "Describe.", "silly hat", null, "humor", 4)];
        Assert.That(() => StyleEvaluator.Evaluate(sftOnly, new FakeScorer()), Throws.ArgumentException.With.Message.Contains("'s'"));
    }

    private sealed class FakeScorer : ICaptionScorer
    {
        public (double MeanLogProb, double SumLogProb, int Tokens) Score(PreferenceExample example, string caption) =>
            (-1.0 / caption.Length, -1.0, caption.Length);
    }

    private sealed class FakeGenerator : ICaptionGenerator
    {
        public string Generate(PreferenceExample example) => example.Id == "a" ? "plain a" : "funny " + example.Id;
    }

    private sealed class FakeJudge : ICaptionStyleJudge
    {
        public IReadOnlyList<double> StyleProbabilities(IReadOnlyList<(PreferenceExample Example, string Caption)> items) =>
            items.Select(i => i.Caption.Contains('y') || i.Caption.Contains('o') ? 0.8 : 0.3).ToList();
    }
}
