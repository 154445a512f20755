using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Engine.Models.Qwen25VL;

/// <summary>One caption to write: an image already processed into patches, and the user's instruction.</summary>
public sealed record CaptionRequest(QwenPixels Pixels, string Prompt);

/// <summary>
/// The engine's caption generator: a model with its tokenizer and image processor, turning (image, instruction)
/// into text. The prompt is the chat template with the image's expanded pads (and the system prompt, if any), ending
/// at the assistant header, exactly as training rows begin; decoding is batched with a KV cache and stops at the
/// first stop token. The CLI's generate verb, evaluation and on-policy sampling all caption through this class.
/// </summary>
public sealed class CaptionSession
{
    public CaptionSession(Qwen25VLModel model, QwenTokenizer tokenizer, QwenImageProcessor processor, string? systemPrompt = null)
    {
        Model = model;
        Tokenizer = tokenizer;
        Processor = processor;
        SystemPrompt = systemPrompt;
    }

    public Qwen25VLModel Model { get; }

    public QwenTokenizer Tokenizer { get; }

    public QwenImageProcessor Processor { get; }

    /// <summary>The system turn of the prompt; null renders the template's default.</summary>
    public string? SystemPrompt { get; }

    /// <summary>Loads model, tokenizer and preprocessor_config.json from one checkpoint folder, checked against each other.</summary>
    public static CaptionSession Load(string folder) => Load(folder, Placement.Cpu);

    /// <summary>Loads onto the placement's device with the weights in its dtype.</summary>
    public static CaptionSession Load(string folder, Placement placement)
    {
        var configFolder = Qwen25VLModel.ConfigFolder(folder);
        var tokenizer = QwenTokenizer.Load(configFolder);
        var processor = QwenImageProcessor.Load(configFolder);
        var model = Qwen25VLModel.Load(folder, placement, tokenizer: tokenizer);
        processor.CheckModel(model.Config.Vision, configFolder);
        return new(model, tokenizer, processor);
    }

    /// <summary>The stop tokens of a chat model, used when the options name none: end of turn and end of text.</summary>
    public IReadOnlyCollection<long> StopTokens => [Tokenizer.ImEndId, Tokenizer.EndOfTextId];

    /// <summary>The generation prompt of a request (image pads expanded), as training rows begin.</summary>
    public int[] PromptIds(CaptionRequest request) =>
        ChatTemplate.EncodePrompt(Tokenizer, request.Prompt, request.Pixels.Grids, SystemPrompt, Processor.MergeSize).InputIds.ToArray();

    /// <summary>Captions decoded images, one per (image, instruction), batched.</summary>
    public IReadOnlyList<string> Caption(IReadOnlyList<(RgbImage Image, string Prompt)> requests, GenerationOptions options) =>
        Caption(requests.Select(r => new CaptionRequest(Processor.Process(r.Image), r.Prompt)).ToList(), options);

    /// <summary>
    /// One caption per request, batched: the text of the generated tokens without the stop token and special tokens,
    /// trimmed. Rows of the LM head past the tokenizer's vocabulary (Qwen pads 151 665 ids to 151 936) decode to nothing.
    /// </summary>
    public IReadOnlyList<string> Caption(IReadOnlyList<CaptionRequest> requests, GenerationOptions options)
    {
        if (requests.Count == 0) return [];
        using var noGrad = GradMode.NoGrad();
        using var tape = TensorScope.Begin();
        var grids = new List<(int T, int H, int W)>();
        foreach (var request in requests)
        {
            if (request.Pixels.Grids.Count != 1) throw new ArgumentException($"a caption request holds one image, got {request.Pixels.Grids.Count} image grids");
            var g = request.Pixels.Grids[0];
            grids.Add((g.T, g.H, g.W));
        }
        var pixels = new float[requests.Sum(r => r.Pixels.PixelValues.Length)];
        var offset = 0;
        foreach (var request in requests)
        {
            request.Pixels.PixelValues.CopyTo(pixels, offset);
            offset += request.Pixels.PixelValues.Length;
        }
        var columns = requests[0].Pixels.Columns;
        var imageEmbeds = Model.EncodeImages(Tensor.FromFloats(pixels, new Shape(pixels.Length / columns, columns)), grids);
        var prompts = requests.Select(r => PromptIds(r).Select(id => (long)id).ToArray()).ToList();
        var stopping = options.StopTokens.Count > 0 ? options : options with { StopTokens = StopTokens };
        var generated = Generation.Generate(Model, prompts, imageEmbeds, grids, stopping);
        var vocabulary = Tokenizer.VocabSize;
        return generated.Select(ids => Tokenizer.Decode(ids.Where(id => id < vocabulary).Select(id => (int)id), skipSpecial: true).Trim()).ToList();
    }
}
