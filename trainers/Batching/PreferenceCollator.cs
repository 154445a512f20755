using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Vision;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Trainers.Batching;

/// <summary>How captions are turned into rows.</summary>
public sealed record CollatorOptions
{
    /// <summary>Captions longer than this many tokens are cut (the &lt;|im_end|&gt; target is always kept).</summary>
    public int MaxCaptionTokens { get; init; } = 64;

    public string? SystemPrompt { get; init; }
}

/// <summary>
/// Builds training rows TRL-style (docs/objectives.md, "Rows, targets and per-row statistics"; docs/models.md, "Chat
/// template and targets"): the prompt (chat template with
/// the image's expanded pads, ending at &lt;|im_start|&gt;assistant\n) is tokenized once per example, each caption
/// separately, then ids = prompt + caption + &lt;|im_end|&gt; + "\n". Targets are the caption tokens and
/// &lt;|im_end|&gt;; the newline and the prompt never are. Decoded and processed images are cached per path.
/// </summary>
public sealed class PreferenceCollator
{
    private readonly QwenTokenizer _tokenizer;
    private readonly QwenImageProcessor _processor;
    private readonly Dictionary<string, QwenPixels> _pixels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]> _captions = new(StringComparer.Ordinal);
    private readonly int[] _newline;

    public PreferenceCollator(QwenTokenizer tokenizer, QwenImageProcessor processor, CollatorOptions? options = null)
    {
        _tokenizer = tokenizer;
        _processor = processor;
        Options = options ?? new CollatorOptions();
        if (Options.MaxCaptionTokens < 1) throw new ArgumentOutOfRangeException(nameof(options), $"max caption tokens {Options.MaxCaptionTokens} must be at least 1");
        _newline = tokenizer.Encode("\n").ToArray();
    }

    public CollatorOptions Options { get; }

    public QwenTokenizer Tokenizer => _tokenizer;

    public QwenImageProcessor Processor => _processor;

    /// <summary>The processed pixels of an image (decoded and resized once).</summary>
    public QwenPixels Pixels(string imagePath)
    {
        if (_pixels.TryGetValue(imagePath, out var cached)) return cached;
        var processed = _processor.Process(ImageDecoder.Load(imagePath));
        _pixels[imagePath] = processed;
        return processed;
    }

    /// <summary>What a caption generator needs to caption an example: its processed image and its instruction.</summary>
    public CaptionRequest CaptionRequest(PreferenceExample example) => new(Pixels(example.ImagePath), example.Prompt);

    /// <summary>The generation prompt ids of an example (image pads expanded).</summary>
    public int[] PromptIds(PreferenceExample example) =>
        ChatTemplate.EncodePrompt(_tokenizer, example.Prompt, Pixels(example.ImagePath).Grids, Options.SystemPrompt, _processor.MergeSize).InputIds.ToArray();

    /// <summary>Caption tokens (cut to the limit) followed by &lt;|im_end|&gt;: exactly the completion targets.</summary>
    public int[] CompletionIds(string caption)
    {
        if (!_captions.TryGetValue(caption, out var ids))
        {
            var tokens = _tokenizer.Encode(caption);
            ids = [.. tokens.Take(Options.MaxCaptionTokens), _tokenizer.ImEndId];
            _captions[caption] = ids;
        }
        return ids;
    }

    /// <summary>The pixel rows [ΣP, C] of the examples' images, one image per example, and their grids.</summary>
    public (Tensor PixelValues, List<(int T, int H, int W)> Grids) Images(IReadOnlyList<PreferenceExample> examples)
    {
        var parts = new List<float[]>();
        var grids = new List<(int T, int H, int W)>();
        var columns = 0;
        foreach (var example in examples)
        {
            var pixels = Pixels(example.ImagePath);
            if (pixels.Grids.Count != 1) throw new InvalidOperationException($"example '{example.Id}': expected one image grid, got {pixels.Grids.Count}");
            parts.Add(pixels.PixelValues);
            var g = pixels.Grids[0];
            grids.Add((g.T, g.H, g.W));
            columns = pixels.Columns;
        }
        var all = new float[parts.Sum(x => x.Length)];
        var offset = 0;
        foreach (var part in parts)
        {
            part.CopyTo(all, offset);
            offset += part.Length;
        }
        return (Tensor.FromFloats(all, new Shape(all.Length / columns, columns)), grids);
    }

    /// <summary>Collates examples into [chosen…; rejected…] rows (chosen only when <paramref name="includeRejected"/> is false).</summary>
    public PreferenceBatch Collate(IReadOnlyList<PreferenceExample> examples, bool includeRejected)
    {
        if (examples.Count == 0) throw new ArgumentException("cannot collate an empty batch");
        var prompts = examples.Select(PromptIds).ToList();
        var (pixelValues, grids) = Images(examples);
        var rows = new List<(int[] Prompt, int[] Completion)>();
        foreach (var (example, prompt) in examples.Zip(prompts)) rows.Add((prompt, CompletionIds(example.Chosen)));
        if (includeRejected)
            foreach (var (example, prompt) in examples.Zip(prompts))
                rows.Add((prompt, CompletionIds(example.Rejected ?? throw new ArgumentException($"example '{example.Id}' (line {example.LineNumber}) has no rejected caption"))));

        var length = rows.Max(r => r.Prompt.Length + r.Completion.Length + _newline.Length);
        var ids = new long[rows.Count, length];
        var attention = new long[rows.Count, length];
        var targets = new bool[rows.Count, length];
        for (var r = 0; r < rows.Count; r++)
        {
            var (prompt, completion) = rows[r];
            var p = 0;
            foreach (var id in prompt) { ids[r, p] = id; attention[r, p++] = 1; }
            foreach (var id in completion) { ids[r, p] = id; targets[r, p] = true; attention[r, p++] = 1; }
            foreach (var id in _newline) { ids[r, p] = id; attention[r, p++] = 1; }
            for (; p < length; p++) ids[r, p] = _tokenizer.PadId;
        }
        return new PreferenceBatch(ids, attention, targets, pixelValues, grids, examples.Select(e => e.Id).ToArray(), includeRejected);
    }
}
