using StyleAlign.Trainers.Data;

namespace StyleAlign.Trainers.Clip;

/// <summary>One image and the captions that describe it (each caption is a positive for this image only).</summary>
public sealed record ClipTrainingImage(string ImagePath, IReadOnlyList<string> Captions);

/// <summary>Image–caption training data for contrastive CLIP fine-tuning, built from the project's preference JSONL.</summary>
public static class ClipTrainingSet
{
    /// <summary>
    /// Groups examples by image: the factual caption (<c>rejected</c>) and the stylized ones (<c>chosen</c>), distinct,
    /// in the order they first appear. Images left without a caption of the selected kind are dropped.
    /// </summary>
    public static IReadOnlyList<ClipTrainingImage> FromExamples(IEnumerable<PreferenceExample> examples, ClipCaptionSelection selection)
    {
        var byImage = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var example in examples)
        {
            if (!byImage.TryGetValue(example.ImagePath, out var captions))
            {
                byImage[example.ImagePath] = captions = [];
                order.Add(example.ImagePath);
            }
            if (selection != ClipCaptionSelection.Stylized && example.Rejected is not null && !captions.Contains(example.Rejected)) captions.Add(example.Rejected);
            if (selection != ClipCaptionSelection.Factual && !captions.Contains(example.Chosen)) captions.Add(example.Chosen);
        }
        return order.Where(path => byImage[path].Count > 0).Select(path => new ClipTrainingImage(path, byImage[path])).ToList();
    }

    /// <summary>
    /// Reads training data from a dataset folder (its train.jsonl, and validation.jsonl when it holds examples) or from one
    /// JSONL file (validation only when <paramref name="validationPath"/> names one).
    /// </summary>
    public static (IReadOnlyList<ClipTrainingImage> Train, IReadOnlyList<ClipTrainingImage>? Validation) Load(
        string dataPath, string? validationPath, ClipCaptionSelection selection)
    {
        string trainFile = dataPath;
        if (Directory.Exists(dataPath))
        {
            trainFile = Path.Combine(dataPath, SyntheticStyleDataset.SplitFileName(DataSplits.Train));
            if (!File.Exists(trainFile)) throw new FileNotFoundException($"{Path.GetFullPath(dataPath)}: a dataset folder needs {SyntheticStyleDataset.SplitFileName(DataSplits.Train)}", trainFile);
            var folderValidation = Path.Combine(dataPath, SyntheticStyleDataset.SplitFileName(DataSplits.Validation));
            validationPath ??= File.Exists(folderValidation) && File.ReadLines(folderValidation).Any(line => !string.IsNullOrWhiteSpace(line)) ? folderValidation : null;
        }
        var train = Read(trainFile, selection);
        var validation = validationPath is null ? null : Read(validationPath, selection);
        return (train, validation);
    }

    private static IReadOnlyList<ClipTrainingImage> Read(string jsonlPath, ClipCaptionSelection selection)
    {
        var images = FromExamples(PreferenceDataset.Load(jsonlPath, DataLoadOptions.Sft).Examples, selection);
        if (images.Count == 0)
            throw new DataFormatException(Path.GetFullPath(jsonlPath), 0, $"no {selection.ToString().ToLowerInvariant()} captions to train on");
        return images;
    }
}
