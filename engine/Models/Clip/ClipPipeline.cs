using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Engine.Models.Clip;

/// <summary>A CLIP folder ready for embedding: the model, its tokenizer and its image processor.</summary>
public sealed class ClipPipeline
{
    private ClipPipeline(string folder, ClipModel model, ClipTokenizer tokenizer, ClipImageProcessor imageProcessor)
    {
        Folder = folder;
        Model = model;
        Tokenizer = tokenizer;
        ImageProcessor = imageProcessor;
    }

    public string Folder { get; }

    public ClipModel Model { get; }

    public ClipTokenizer Tokenizer { get; }

    public ClipImageProcessor ImageProcessor { get; }

    public static ClipPipeline Load(string folder, Device? device = null)
    {
        var processor = ClipImageProcessor.Load(folder);
        var tokenizer = ClipTokenizer.Load(folder);
        var model = ClipModel.Load(folder, device);
        processor.CheckModel(model.Config.Vision, folder);
        model.Config.CheckTokenizer(tokenizer, folder);
        return new ClipPipeline(folder, model, tokenizer, processor);
    }

    /// <summary>L2-normalized embeddings [N, proj] of decoded images, in batches.</summary>
    public float[][] EmbedImages(IReadOnlyList<RgbImage> images, int batchSize = 32)
    {
        var size = Model.Config.Vision.ImageSize;
        return Batched(images.Count, batchSize, (start, count) =>
        {
            var pixels = new float[count * 3 * size * size];
            for (var i = 0; i < count; i++)
                ImageProcessor.Process(images[start + i]).CopyTo(pixels, i * 3 * size * size);
            return Model.EncodeImagesNoGrad(Tensor.FromFloats(pixels, new Shape(count, 3, size, size)));
        });
    }

    /// <summary>L2-normalized embeddings [N, proj] of captions, in batches.</summary>
    public float[][] EmbedTexts(IReadOnlyList<string> captions, int batchSize = 64) =>
        Batched(captions.Count, batchSize, (start, count) =>
        {
            var (ids, mask) = Model.Tokenize(Tokenizer, captions.Skip(start).Take(count).ToList());
            return Model.EncodeTextsNoGrad(ids, mask);
        });

    private float[][] Batched(int total, int batchSize, Func<int, int, Tensor> encode)
    {
        var dim = Model.Config.ProjectionDim;
        var result = new float[total][];
        for (var start = 0; start < total; start += batchSize)
        {
            var count = Math.Min(batchSize, total - start);
            using var scope = TensorScope.Begin();
            var flat = encode(start, count).ToFloatArray();
            for (var i = 0; i < count; i++) result[start + i] = flat.AsSpan(i * dim, dim).ToArray();
        }
        return result;
    }
}
