using NUnit.Framework;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Evaluation;

namespace StyleAlign.Tests.Evaluation;

[TestFixture, Category("Unit")]
public class ContentEvaluationTests
{
    private static PreferenceExample Example(string id, string? factual) =>
        new(id, $"images/{id}.png", StylePrompts.For(SyntheticCaptions.Humor), "a silly caption!", factual, SyntheticCaptions.Humor, LineNumber: 1);

    [Test]
    public void SyntheticExamplesGetObjectAccuracyFromTheirFactualCaptions()
    {
        PreferenceExample[] examples =
        [
            Example("0", "a red circle at the top left"),
            Example("1", "a blue star to the left of a green square"),
            Example("2", "two shapes: a yellow diamond and an orange triangle"),
            Example("3", "a purple square at the bottom right"),
        ];
        string[] captions =
        [
            "a silly red circle tells jokes!",
            "a goofy blue star and a green square in tiny hats!",
            "a silly yellow diamond tells jokes!",
            "a silly red circle tells jokes!",
        ];

        var summary = ContentEvaluation.Summarize(examples, captions, clip: null);

        Assert.That(summary.ObjectAccuracy, Is.EqualTo(50.0), "images 0 and 1 are named in full; 2 misses its triangle, 3 names the wrong shape");
        Assert.That(summary.DistinctCaptions, Is.EqualTo(75.0));
        Assert.That(summary.ModeCollapse, Is.False);
        Assert.That(summary.ClipScore, Is.Null);
        Assert.That(summary.RefClipScore, Is.Null);
    }

    [Test]
    public void ObjectAccuracyIsLeftOutWhenAFactualCaptionNamesNoSceneObject()
    {
        PreferenceExample[] examples = [Example("0", "a red circle"), Example("1", "a man walks his dog on the beach")];
        var summary = ContentEvaluation.Summarize(examples, ["same words", "same words"], clip: null);
        Assert.That(summary.ObjectAccuracy, Is.Null);
        Assert.That(summary.DistinctCaptions, Is.EqualTo(50.0));
        Assert.That(summary.ModeCollapse, Is.False, "the threshold itself is not collapse");
        Assert.That(ContentEvaluation.Summarize(examples.Append(Example("2", "a blue star")).ToList(), ["x y", "x y", "x y"], null).ModeCollapse, Is.True);
    }

    [Test]
    public void CaptionCountMustMatchExamples() =>
        Assert.Throws<ArgumentException>(() => ContentEvaluation.Summarize([Example("0", "a red circle")], [], null));
}
