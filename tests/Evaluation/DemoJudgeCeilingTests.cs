using NUnit.Framework;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Demo;
using StyleAlign.Trainers.Evaluation;

namespace StyleAlign.Tests.Evaluation;

/// <summary>
/// The judge the demo builds (built-in tiny CLIP, the demo's classifier settings, the demo's synthetic data and seed)
/// must tell stylized reference captions from factual ones on the held-out test split at least 95 % of the time;
/// below that, Style-Acc would say little about generated captions.
/// </summary>
[TestFixture]
[Category("Unit")]
public sealed class DemoJudgeCeilingTests
{
    [TestCase(SyntheticCaptions.Humor)]
    [TestCase(SyntheticCaptions.Romantic)]
    public void TheDemoJudgeSeparatesReferenceCaptionsOnTheTestSplit(string style)
    {
        var demo = new DemoOptions();
        using var dir = new TempDirectory();
        var data = Path.Combine(dir.Path, "data");
        SyntheticStyleDataset.Generate(data, new SyntheticOptions
        {
            TrainCount = demo.TrainImages,
            ValidationCount = demo.ValidationImages,
            TestCount = demo.TestImages,
            Seed = demo.Seed,
        });
        var clipFolder = Path.Combine(dir.Path, "clip");
        TinyClip.Write(clipFolder);
        var load = DataLoadOptions.Preference with { Style = style };
        IReadOnlyList<PreferenceExample> Split(string split) =>
            PreferenceDataset.Load(Path.Combine(data, SyntheticStyleDataset.SplitFileName(split)), load).Examples;

        using var judge = ClipStyleJudge.Open(clipFolder, null, null);
        using var classifier = StyleClassifier.Train(judge.LabeledExamples(Split(DataSplits.Train)), judge.LabeledExamples(Split(DataSplits.Validation)),
            style, judge.Embeddings.Identity, demo.Classifier);
        var test = judge.LabeledExamples(Split(DataSplits.Test));

        Assert.That(test, Has.Count.EqualTo(2 * demo.TestImages));
        Assert.That(classifier.Accuracy(test), Is.GreaterThanOrEqualTo(0.95), $"{style} classifier ceiling on the test split's reference captions");
    }
}
