using NUnit.Framework;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Evaluation;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Evaluation;

[TestFixture]
[Category("Unit")]
public sealed class StyleClassifierTests
{
    private static readonly ClipIdentity FakeClip = new("fake-clip", new string('a', 64));

    /// <summary>Unit vectors; stylized captions lean one way along a hidden direction, factual ones the other way.</summary>
    private static List<LabeledEmbedding> Synthetic(int count, ulong seed, int dim = 16)
    {
        var rng = new RandomGenerator(seed);
        var result = new List<LabeledEmbedding>();
        for (var i = 0; i < count; i++)
        {
            var image = Unit(Enumerable.Range(0, dim).Select(_ => rng.NextNormal()).ToArray());
            var stylized = i % 2 == 0;
            var text = Enumerable.Range(0, dim).Select(_ => 0.5 * rng.NextNormal()).ToArray();
            text[0] += stylized ? 1.0 : -1.0;
            result.Add(new LabeledEmbedding(image, Unit(text), stylized));
        }
        return result;
    }

    private static float[] Unit(double[] v)
    {
        var norm = Math.Sqrt(v.Sum(x => x * x));
        return v.Select(x => (float)(x / norm)).ToArray();
    }

    [Test]
    public void LearnsASeparableTask()
    {
        var options = new StyleClassifierTrainingOptions { HiddenSize = 32, Epochs = 8, Patience = 8, LearningRate = 3e-3, Seed = 5 };
        using var classifier = StyleClassifier.Train(Synthetic(256, 1), Synthetic(64, 2), "humor", FakeClip, options);
        var test = Synthetic(200, 3);
        Assert.That(classifier.Accuracy(test), Is.GreaterThanOrEqualTo(0.9));
        Assert.That(classifier.Info.ValidationAccuracy, Is.GreaterThanOrEqualTo(0.9));
        Assert.That(classifier.Info.BestEpoch, Is.InRange(1, classifier.Info.EpochsRun));
    }

    [Test]
    public void SaveAndLoadGiveTheSameProbabilities()
    {
        var options = new StyleClassifierTrainingOptions { HiddenSize = 8, Layers = 3, Epochs = 2, Seed = 9 };
        using var trained = StyleClassifier.Train(Synthetic(64, 4), Synthetic(16, 5), "romantic", FakeClip, options);
        using var dir = new TempDirectory();
        trained.Save(dir.Path);
        Assert.That(File.Exists(dir.File("classifier.safetensors")) && File.Exists(dir.File("classifier.json")));

        using var loaded = StyleClassifier.Load(dir.Path);
        Assert.That(loaded.Info, Is.EqualTo(trained.Info));
        var pairs = Synthetic(10, 6).Select(e => (e.Image, e.Text)).ToList();
        Assert.That(loaded.Probabilities(pairs), Is.EqualTo(trained.Probabilities(pairs)));
        Assert.That(File.ReadAllText(dir.File("classifier.json")), Does.Contain("\"sha256\": \"" + FakeClip.WeightsSha256 + "\"").And.Contain("\"style\": \"romantic\""));
    }

    [Test]
    public void LoadNamesWhatIsWrong()
    {
        using var dir = new TempDirectory();
        Assert.That(() => StyleClassifier.Load(dir.Path), Throws.TypeOf<FileNotFoundException>().With.Message.Contains("classifier.json"));
        using var trained = StyleClassifier.Train(Synthetic(8, 7), Synthetic(4, 8), "humor", FakeClip, new() { HiddenSize = 4, Epochs = 1 });
        trained.Save(dir.Path);
        File.WriteAllText(dir.File("classifier.json"), File.ReadAllText(dir.File("classifier.json")).Replace("\"layers\": 2", "\"layers\": 3"));
        Assert.That(() => StyleClassifier.Load(dir.Path), Throws.InstanceOf<InvalidInputException>().With.Message.Contains("layers.1.weight").And.Message.Contains("[4, 4]"));
    }

    [Test]
    public void TrainsOnTheSyntheticDatasetThroughTinyClipAndReusesTheCache()
    {
        using var dir = new TempDirectory();
        var data = Path.Combine(dir.Path, "data");
        SyntheticStyleDataset.Generate(data, new SyntheticOptions { TrainCount = 48, ValidationCount = 16, TestCount = 16, ImageSize = 32, Seed = 3, Styles = ["humor"] });
        var clipFolder = Path.Combine(dir.Path, "tiny-clip");
        TinyClip.Write(clipFolder);
        var cache = Path.Combine(dir.Path, "cache");
        var train = PreferenceDataset.Load(Path.Combine(data, "train.jsonl")).Examples;
        var validation = PreferenceDataset.Load(Path.Combine(data, "validation.jsonl")).Examples;

        StyleClassifierInfo info;
        using (var judge = ClipStyleJudge.Open(clipFolder, null, cache))
        {
            var trainInputs = judge.LabeledExamples(train);
            Assert.That(trainInputs, Has.Count.EqualTo(2 * train.Count));
            var distinctCaptions = train.SelectMany(e => new[] { e.Chosen, e.Rejected! }).Distinct().Count();
            Assert.That(judge.Embeddings.Computed, Is.EqualTo(train.Select(e => e.ImagePath).Distinct().Count() + distinctCaptions));
            using var classifier = StyleClassifier.Train(trainInputs, judge.LabeledExamples(validation), "humor", judge.Embeddings.Identity,
                new StyleClassifierTrainingOptions { HiddenSize = 64, Epochs = 20, Patience = 20, LearningRate = 3e-3, Seed = 1 });
            classifier.Save(Path.Combine(dir.Path, "clf"));
            info = classifier.Info;
        }
        // The tiny CLIP is random, yet its text tower still tells the styles' marker words apart well above chance.
        Assert.That(info.ValidationAccuracy, Is.GreaterThanOrEqualTo(0.75));

        using var reopened = ClipStyleJudge.Open(clipFolder, Path.Combine(dir.Path, "clf"), cache);
        reopened.LabeledExamples(train);
        Assert.That(reopened.Embeddings.Computed, Is.EqualTo(0), "the second pass reads every embedding from the cache");
        var result = StyleEvaluator.Evaluate(validation, scorer: null, classifier: reopened);
        Assert.That(result.Summary.ClassifierCeiling!.Value / 100, Is.EqualTo(info.ValidationAccuracy).Within(1e-9));
    }
}
