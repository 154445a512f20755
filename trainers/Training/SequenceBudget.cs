using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Vision;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Trainers.Training;

/// <summary>
/// Checks, before any forward pass, that every example fits the model's positions: its prompt (chat template and
/// image tokens included) plus its longest caption as the collator cuts it must not exceed max_position_embeddings.
/// The image's token count comes from its header (the size it is resized to), so nothing is decoded here.
/// </summary>
public static class SequenceBudget
{
    /// <summary>
    /// The examples that fit. One that does not is refused with its file and line, or with <paramref name="skipBad"/>
    /// reported to <paramref name="warn"/> and left out.
    /// </summary>
    public static IReadOnlyList<PreferenceExample> Fit(IReadOnlyList<PreferenceExample> examples, PreferenceCollator collator, int maxPositions,
        bool skipBad, Action<string>? warn = null)
    {
        var kept = new List<PreferenceExample>(examples.Count);
        var imageTokens = new Dictionary<string, ImageGrid>(StringComparer.Ordinal);
        foreach (var example in examples)
        {
            if (!imageTokens.TryGetValue(example.ImagePath, out var grid))
            {
                try
                {
                    imageTokens[example.ImagePath] = grid = Grid(example.ImagePath, collator.Processor);
                }
                catch (InvalidInputException imageProblem)
                {
                    // The image decodes but the processor cannot take it (too small, too elongated): name the line too.
                    var refused = new DataFormatException(example.SourcePath ?? "data", example.LineNumber, imageProblem.Message);
                    if (!skipBad) throw refused;
                    warn?.Invoke($"{refused.Message}; skipped");
                    continue;
                }
            }
            var prompt = ChatTemplate.EncodePrompt(collator.Tokenizer, example.Prompt, [grid], collator.Options.SystemPrompt, collator.Processor.MergeSize).InputIds.Count;
            var caption = Math.Max(collator.CompletionIds(example.Chosen).Length, example.Rejected is null ? 0 : collator.CompletionIds(example.Rejected).Length);
            if (prompt + caption <= maxPositions)
            {
                kept.Add(example);
                continue;
            }
            var error = new DataFormatException(example.SourcePath ?? "data", example.LineNumber,
                $"example '{example.Id}' needs {prompt + caption} positions (prompt with image {prompt} tokens, caption up to {caption}), more than the model's max_position_embeddings {maxPositions}");
            if (!skipBad) throw error;
            warn?.Invoke($"{error.Message}; skipped");
        }
        if (kept.Count == 0)
            throw new DataFormatException(examples.FirstOrDefault()?.SourcePath ?? "data", 0, $"no example fits the model's max_position_embeddings {maxPositions}");
        return kept;
    }

    private static ImageGrid Grid(string imagePath, QwenImageProcessor processor)
    {
        var (width, height) = ImageDecoder.DeclaredSize(InputFiles.ReadAllBytes(imagePath, InputFiles.MaxImageBytes, "image"), imagePath);
        if (processor.DoResize && SmartResize.Problem(height, width, processor.PatchSize * processor.MergeSize) is { } problem)
            throw new ImageInputException($"{imagePath}: {problem}");
        var (h, w) = processor.TargetSize(height, width);
        return new ImageGrid(1, h / processor.PatchSize, w / processor.PatchSize);
    }
}
