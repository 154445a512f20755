using NUnit.Framework;
using StbImageSharp;
using StyleAlign.Trainers.Data;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.Data;

[TestFixture, Category("Unit")]
public class SyntheticStyleDatasetTests
{
    private static readonly SyntheticOptions Small = new() { TrainCount = 12, ValidationCount = 4, TestCount = 6, ImageSize = 32, Seed = 7 };

    private static readonly string[] HumorMarkers = ["silly", "goofy", "joke", "tiny hat", "ha!"];
    private static readonly string[] RomanticMarkers = ["lovely", "dreamy", "love", "heart", "sunset"];

    [Test]
    public void SameSeed_WritesByteIdenticalFiles()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        SyntheticStyleDataset.Generate(first.Path, Small);
        SyntheticStyleDataset.Generate(second.Path, Small);

        var firstFiles = RelativeFiles(first.Path);
        Assert.That(RelativeFiles(second.Path), Is.EqualTo(firstFiles));
        Assert.That(firstFiles, Has.Count.EqualTo(22 + 4)); // 22 images, captions and three splits
        foreach (string file in firstFiles)
            Assert.That(File.ReadAllBytes(Path.Combine(second.Path, file)), Is.EqualTo(File.ReadAllBytes(Path.Combine(first.Path, file))), file);
    }

    [Test]
    public void DifferentSeed_WritesDifferentImagesAndCaptions()
    {
        using var first = new TempDirectory();
        using var second = new TempDirectory();
        SyntheticStyleDataset.Generate(first.Path, Small);
        SyntheticStyleDataset.Generate(second.Path, Small with { Seed = 8 });

        Assert.That(File.ReadAllText(second.File("captions.jsonl")), Is.Not.EqualTo(File.ReadAllText(first.File("captions.jsonl"))));
        int differentImages = Enumerable.Range(0, Small.TotalImages)
            .Count(i => !File.ReadAllBytes(first.File($"images/{i:D4}.png")).SequenceEqual(File.ReadAllBytes(second.File($"images/{i:D4}.png"))));
        Assert.That(differentImages, Is.GreaterThan(Small.TotalImages / 2));
    }

    [Test]
    public void EveryCaption_NamesEachShapeAndColourOfItsImage()
    {
        var items = SyntheticStyleDataset.CreateItems(Small with { TrainCount = 200 });
        foreach (var item in items)
        {
            foreach (string caption in item.Stylized.Values.Append(item.Factual))
            {
                foreach (var shape in item.Scene.Shapes)
                    Assert.That(caption, Does.Contain(shape.NounPhrase), $"item {item.Id}");
                int words = caption.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
                Assert.That(words, Is.InRange(5, 12), $"item {item.Id}: '{caption}'");
            }
        }
    }

    [Test]
    public void RenderedImage_ShowsEachShapeInItsColourAtItsPosition()
    {
        using var temp = new TempDirectory();
        var options = Small with { ImageSize = 64 };
        SyntheticStyleDataset.Generate(temp.Path, options);
        foreach (var item in SyntheticStyleDataset.CreateItems(options))
        {
            var image = ImageResult.FromMemory(File.ReadAllBytes(temp.File(item.ImagePath)), ColorComponents.RedGreenBlue);
            foreach (var shape in item.Scene.Shapes)
            {
                int x = (int)(shape.CenterX * options.ImageSize), y = (int)(shape.CenterY * options.ImageSize);
                int offset = (y * options.ImageSize + x) * 3;
                Assert.That(image.Data[offset..(offset + 3)], Is.EqualTo(SceneWords.Rgb(shape.Color)), $"{item.Id}: {shape}");
                // The whole shape (its bounding circle) lies inside the quarter its caption names.
                bool left = shape.Position is ScenePosition.TopLeft or ScenePosition.BottomLeft;
                bool top = shape.Position is ScenePosition.TopLeft or ScenePosition.TopRight;
                (double minX, double maxX) = left ? (0.0, 0.5) : (0.5, 1.0);
                (double minY, double maxY) = top ? (0.0, 0.5) : (0.5, 1.0);
                Assert.That(shape.CenterX - shape.Radius, Is.GreaterThan(minX), $"{item.Id}: {shape}");
                Assert.That(shape.CenterX + shape.Radius, Is.LessThan(maxX), $"{item.Id}: {shape}");
                Assert.That(shape.CenterY - shape.Radius, Is.GreaterThan(minY), $"{item.Id}: {shape}");
                Assert.That(shape.CenterY + shape.Radius, Is.LessThan(maxY), $"{item.Id}: {shape}");
            }
        }
    }

    [Test]
    public void StyleWords_AppearOnlyInTheirOwnStyle()
    {
        foreach (var item in SyntheticStyleDataset.CreateItems(Small with { TrainCount = 200 }))
        {
            string humor = item.Stylized[SyntheticCaptions.Humor], romantic = item.Stylized[SyntheticCaptions.Romantic];
            Assert.That(HumorMarkers.Any(humor.Contains), Is.True, humor);
            Assert.That(RomanticMarkers.Any(romantic.Contains), Is.True, romantic);
            Assert.That(RomanticMarkers.Any(humor.Contains), Is.False, humor);
            Assert.That(HumorMarkers.Any(romantic.Contains), Is.False, romantic);
            Assert.That(HumorMarkers.Concat(RomanticMarkers).Any(item.Factual.Contains), Is.False, item.Factual);
        }
    }

    [Test]
    public void Splits_AreDisjointByImage_AndHoldOnePairPerStyle()
    {
        using var temp = new TempDirectory();
        var summary = SyntheticStyleDataset.Generate(temp.Path, Small);

        var imagesBySplit = new Dictionary<string, HashSet<string>>();
        foreach (string split in DataSplits.All)
        {
            var pairs = PreferenceDataset.Load(temp.File(SyntheticStyleDataset.SplitFileName(split))).Examples;
            Assert.That(pairs, Has.Count.EqualTo(summary.PairsPerSplit[split]));
            Assert.That(pairs.All(p => p.Chosen != p.Rejected && p.Prompt == StylePrompts.For(p.Style!)), Is.True);
            imagesBySplit[split] = pairs.Select(p => p.ImagePath).ToHashSet();
        }
        Assert.That(imagesBySplit[DataSplits.Train], Has.Count.EqualTo(12));
        Assert.That(imagesBySplit[DataSplits.Validation], Has.Count.EqualTo(4));
        Assert.That(imagesBySplit[DataSplits.Test], Has.Count.EqualTo(6));
        Assert.That(imagesBySplit[DataSplits.Train].Overlaps(imagesBySplit[DataSplits.Validation]), Is.False);
        Assert.That(imagesBySplit[DataSplits.Train].Overlaps(imagesBySplit[DataSplits.Test]), Is.False);
        Assert.That(imagesBySplit[DataSplits.Validation].Overlaps(imagesBySplit[DataSplits.Test]), Is.False);
        Assert.That(summary.TotalPairs, Is.EqualTo(22 * 2));
    }

    [Test]
    public void GrowingTheTrainingSplit_KeepsEarlierItems()
    {
        var small = SyntheticStyleDataset.CreateItems(Small);
        var large = SyntheticStyleDataset.CreateItems(Small with { TrainCount = 40 });
        for (int i = 0; i < Small.TrainCount; i++)
        {
            Assert.That(large[i].Factual, Is.EqualTo(small[i].Factual));
            Assert.That(large[i].Scene.Render(32), Is.EqualTo(small[i].Scene.Render(32)));
        }
    }

    [Test]
    public void SingleStyle_WritesOnlyThatStyle_WithTheSameCaptions()
    {
        var both = SyntheticStyleDataset.CreateItems(Small);
        var romanticOnly = SyntheticStyleDataset.CreateItems(Small with { Styles = [SyntheticCaptions.Romantic] });
        for (int i = 0; i < both.Count; i++)
        {
            Assert.That(romanticOnly[i].Stylized.Keys, Is.EqualTo(new[] { SyntheticCaptions.Romantic }));
            Assert.That(romanticOnly[i].Stylized[SyntheticCaptions.Romantic], Is.EqualTo(both[i].Stylized[SyntheticCaptions.Romantic]));
        }
    }

    [Test]
    public void InvalidOptions_AreRejectedWithTheOptionName()
    {
        Assert.That(() => SyntheticStyleDataset.CreateItems(Small with { Styles = ["sarcastic"] }),
            Throws.ArgumentException.With.Message.Contains("sarcastic"));
        Assert.That(() => SyntheticStyleDataset.CreateItems(Small with { TrainCount = 0 }),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("TrainCount"));
    }

    private static List<string> RelativeFiles(string root) =>
        Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path))
            .Order(StringComparer.Ordinal)
            .ToList();
}
