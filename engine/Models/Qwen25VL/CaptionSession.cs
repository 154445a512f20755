using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Engine.Models.Qwen25VL;

/// <summary>
/// A loaded checkpoint folder ready to caption images: the model, its tokenizer and its image processor.
/// </summary>
public sealed class CaptionSession
{
    public CaptionSession(Qwen25VLModel model, QwenTokenizer tokenizer, QwenImageProcessor processor)
    {
        Model = model;
        Tokenizer = tokenizer;
        Processor = processor;
    }

    public Qwen25VLModel Model { get; }

    public QwenTokenizer Tokenizer { get; }

    public QwenImageProcessor Processor { get; }

    /// <summary>Loads model, tokenizer and preprocessor_config.json from one checkpoint folder, checked against each other.</summary>
    public static CaptionSession Load(string folder)
    {
        var configFolder = Qwen25VLModel.ConfigFolder(folder);
        var tokenizer = QwenTokenizer.Load(configFolder);
        var processor = QwenImageProcessor.Load(configFolder);
        var model = Qwen25VLModel.Load(folder);
        model.Config.CheckTokenizer(tokenizer, configFolder);
        processor.CheckModel(model.Config.Vision, configFolder);
        return new(model, tokenizer, processor);
    }

    /// <summary>The stop tokens of a chat model: end of turn and end of text.</summary>
    public IReadOnlyCollection<long> StopTokens => [Tokenizer.ImEndId, Tokenizer.EndOfTextId];

    /// <summary>Generates one caption per (image, prompt) pair, batched.</summary>
    public IReadOnlyList<string> Caption(IReadOnlyList<(RgbImage Image, string Prompt)> requests, GenerationOptions options)
    {
        using var noGrad = Tape.NoGrad();
        using var tape = Tape.Begin();
        var pixels = Processor.Process(requests.Select(r => r.Image).ToList());
        var grids = pixels.Grids.Select(g => (g.T, g.H, g.W)).ToList();
        var prompts = requests.Select((r, i) => ChatTemplate.EncodePrompt(Tokenizer, r.Prompt, [pixels.Grids[i]], mergeSize: Processor.MergeSize).InputIds.Select(id => (long)id).ToArray()).ToList();
        var imageEmbeds = Model.EncodeImages(Tensor.FromFloats(pixels.PixelValues, new Shape(pixels.Rows, pixels.Columns)), grids);
        var stop = options.StopTokens.Count > 0 ? options : options with { StopTokens = StopTokens };
        var generated = Generation.Generate(Model, prompts, imageEmbeds, grids, stop);
        return generated.Select(ids => Tokenizer.Decode(ids.Select(i => (int)i), skipSpecial: true).Trim()).ToList();
    }
}
