using NUnit.Framework;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Evaluation;

namespace StyleAlign.Tests.Evaluation;

[TestFixture, Category("Unit")]
public class ContentMetricsTests
{
    [Test]
    public void ClipScoreIsTwoAndAHalfTimesThePositiveCosine()
    {
        // cos((3,4), (4,3)) = 24/25
        Assert.That(ContentMetrics.ClipScore([3f, 4f], [4f, 3f]), Is.EqualTo(2.5 * 0.96).Within(1e-12));
        Assert.That(ContentMetrics.ClipScore([1f, 0f], [-1f, 0.2f]), Is.Zero, "a negative cosine scores 0");
        Assert.That(ContentMetrics.ClipScore([0.6f, 0.8f], [0.6f, 0.8f]), Is.EqualTo(2.5).Within(1e-7));
    }

    [Test]
    public void RefClipScoreIsTheHarmonicMeanOfClipScoreAndTheBestReferenceCosine()
    {
        float[] caption = [1f, 0f], image = [0.6f, 0.8f];
        float[][] references = [[0f, 1f], [0.8f, 0.6f]];
        // CLIP-S = 2.5 · 0.6 = 1.5; reference term = max(0, 0.8) = 0.8; H = 2 · 1.5 · 0.8 / 2.3
        Assert.That(ContentMetrics.ReferenceSimilarity(caption, references), Is.EqualTo(0.8).Within(1e-7));
        Assert.That(ContentMetrics.RefClipScore(caption, image, references), Is.EqualTo(2.4 / 2.3).Within(1e-7));
        Assert.That(ContentMetrics.RefClipScore(caption, image, [[-1f, 0f]]), Is.Zero, "no positive reference similarity gives 0");
        Assert.Throws<ArgumentException>(() => ContentMetrics.RefClipScore(caption, image, []));
    }

    [Test]
    public void DistinctCaptionRatioComparesCaptionsIgnoringCaseAndSpacing()
    {
        string[] captions = ["A red circle", "a  red circle ", "a blue star", "a blue star!"];
        Assert.That(ContentMetrics.DistinctCaptionRatio(captions), Is.EqualTo(75.0));
        Assert.That(ContentMetrics.DistinctCaptionRatio(["same", "same", "same", "other"]), Is.EqualTo(50.0));
    }

    [Test]
    public void DistinctTwoCountsDistinctBigramsOverAllBigrams()
    {
        // bigrams: (a,red) (red,circle) | (a,red) (red,star) (star,!) → 4 distinct of 5
        Assert.That(ContentMetrics.DistinctBigrams(["a red circle", "A red star!"]), Is.EqualTo(80.0));
        Assert.That(ContentMetrics.DistinctBigrams(["hello", "!"]), Is.Zero, "no caption has a bigram");
    }

    [Test]
    public void ObjectAccuracyNeedsEveryObjectsColourAndShapeTogether()
    {
        var objects = SceneObjects.FromFactualCaption("a red circle to the left of a blue star");
        Assert.That(objects, Is.EqualTo(new[] { new SceneObject(ShapeColor.Red, ShapeKind.Circle), new SceneObject(ShapeColor.Blue, ShapeKind.Star) }));
        (IReadOnlyList<SceneObject>, string)[] images =
        [
            (objects, "a silly red circle tells jokes to a goofy Blue star!"),
            (objects, "a red star and a blue circle"),
            (objects, "a lovely red circle dreaming at sunset"),
        ];
        Assert.That(ContentMetrics.ObjectAccuracy(images), Is.EqualTo(100.0 / 3).Within(1e-12));
    }

    [Test]
    public void ObjectsFromTheFactualCaptionAreTheScenesObjects()
    {
        var items = SyntheticStyleDataset.CreateItems(new SyntheticOptions { TrainCount = 60, ValidationCount = 0, TestCount = 0 });
        foreach (var item in items)
        {
            Assert.That(SceneObjects.FromFactualCaption(item.Factual), Is.EquivalentTo(SceneObjects.Of(item.Scene)), item.Factual);
            foreach (var caption in item.Stylized.Values)
                Assert.That(SceneObjects.NamesEvery(SceneObjects.Of(item.Scene), caption), Is.True, caption);
        }
    }

    [Test]
    public void ModeCollapseIsFlaggedBelowHalfDistinctCaptions()
    {
        Assert.That(ContentMetrics.IsModeCollapse(49.9), Is.True);
        Assert.That(ContentMetrics.IsModeCollapse(ContentMetrics.ModeCollapseThreshold), Is.False);
        Assert.That(ContentMetrics.IsModeCollapse(ContentMetrics.DistinctCaptionRatio(["x", "x", "x", "x", "y"])), Is.True);
    }
}
