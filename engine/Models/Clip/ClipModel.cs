using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Engine.Models.Clip;

/// <summary>
/// CLIPModel (docs/models.md, "CLIP"): both towers, the two bias-free projections and the learned logit scale, built through a
/// <see cref="ParameterBuilder"/> under the Hugging Face checkpoint names.
/// </summary>
public sealed class ClipModel
{
    private readonly Tensor _visualProjection, _textProjection;

    public ClipModel(ClipConfig config, IParameterSource source)
    {
        Config = config;
        Parameters = new ParameterSet();
        var p = new ParameterBuilder(source, Parameters);
        Text = new ClipTextTower(config.Text, p.Scope("text_model"));
        Vision = new ClipVisionTower(config.Vision, p.Scope("vision_model"));
        _visualProjection = p.Weight("visual_projection.weight", config.ProjectionDim, config.Vision.HiddenSize);
        _textProjection = p.Weight("text_projection.weight", config.ProjectionDim, config.Text.HiddenSize);
        LogitScale = p.Take("logit_scale", Shape.Scalar, ParameterInit.Zeros);
    }

    public ClipConfig Config { get; }

    public ParameterSet Parameters { get; }

    public ClipTextTower Text { get; }

    public ClipVisionTower Vision { get; }

    /// <summary>The stored log of the similarity temperature (a scalar parameter).</summary>
    public Tensor LogitScale { get; }

    /// <summary>Reads config.json and model.safetensors (or a sharded index) from a folder; every parameter must be
    /// present with its shape and no other tensor may be stored, except the legacy position_ids buffers.</summary>
    public static ClipModel Load(string folder, Device? device = null)
    {
        var config = ClipConfig.Load(folder);
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        return ModelLoading.Load(checkpoint, $"CLIP checkpoint '{checkpoint.Path}'", source => new ClipModel(config, source),
            model => model.Parameters, (_, name) => IsLegacyBuffer(name), device: device);
    }

    /// <summary>What the checkpoint lacks or holds in excess for the model its config describes, from the header alone.</summary>
    public static CheckpointMatch Inspect(string folder)
    {
        var config = ClipConfig.Load(folder);
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        return ModelLoading.Check(checkpoint, $"CLIP checkpoint '{checkpoint.Path}'", source => new ClipModel(config, source),
            model => model.Parameters, (_, name) => IsLegacyBuffer(name));
    }

    /// <summary>
    /// Tokenizes captions for this model: ids and mask [B, L]. Captions are cut at min(77, max_position_embeddings)
    /// tokens, and L is the longest caption of the batch: with a causal mask, padding after EOS changes nothing
    /// at or before the pooled position, so the embeddings equal those of the fully padded input.
    /// </summary>
    public (Tensor InputIds, Tensor AttentionMask) Tokenize(ClipTokenizer tokenizer, IReadOnlyList<string> captions)
    {
        if (captions.Count == 0) throw new ArgumentException("no captions to tokenize");
        var maxLength = Math.Min(ClipTokenizer.DefaultMaxLength, Config.Text.MaxPositionEmbeddings);
        var encodings = captions.Select(c => tokenizer.Encode(c, maxLength, padToMaxLength: true)).ToList();
        var length = encodings.Max(e => e.AttentionMask.Count(m => m == 1));
        var ids = new long[captions.Count * length];
        var mask = new long[captions.Count * length];
        for (var r = 0; r < captions.Count; r++)
            for (var i = 0; i < length; i++)
            {
                ids[r * length + i] = encodings[r].Ids[i];
                mask[r * length + i] = encodings[r].AttentionMask[i];
            }
        return (Tensor.FromArray(ids, captions.Count, length), Tensor.FromArray(mask, captions.Count, length));
    }

    /// <summary>The int64 position_ids buffers older conversions stored; they are not parameters.</summary>
    public static bool IsLegacyBuffer(string name) => name.EndsWith(".embeddings.position_ids", StringComparison.Ordinal);

    /// <summary>get_image_features: [B, 3, S, S] → [B, proj], not normalized.</summary>
    public Tensor ImageFeatures(Tensor pixelValues, ClipTrace? trace = null)
    {
        var features = Nn.Functional.Linear(Vision.Forward(pixelValues, trace), _visualProjection);
        if (trace is not null) trace.ImageEmbedsUnnormalized = features;
        return features;
    }

    /// <summary>get_text_features: ids [B, L] (+ mask) → [B, proj], not normalized.</summary>
    public Tensor TextFeatures(Tensor inputIds, Tensor? attentionMask = null, ClipTrace? trace = null)
    {
        var features = Nn.Functional.Linear(Text.Forward(inputIds, attentionMask, trace), _textProjection);
        if (trace is not null) trace.TextEmbedsUnnormalized = features;
        return features;
    }

    /// <summary>L2-normalized image embeddings [B, proj].</summary>
    public Tensor EncodeImages(Tensor pixelValues, ClipTrace? trace = null) => L2Normalize(ImageFeatures(pixelValues, trace));

    /// <summary>L2-normalized text embeddings [B, proj].</summary>
    public Tensor EncodeTexts(Tensor inputIds, Tensor? attentionMask = null, ClipTrace? trace = null) =>
        L2Normalize(TextFeatures(inputIds, attentionMask, trace));

    /// <summary>exp(logit_scale) · image_embeds · text_embedsᵀ: [B_img, B_txt] from normalized embeddings.</summary>
    public Tensor LogitsPerImage(Tensor imageEmbeds, Tensor textEmbeds) => imageEmbeds.MatMul(textEmbeds.T) * LogitScale.Exp();

    /// <summary>CLIP's symmetric contrastive loss of a square logits_per_image [N, N]:
    /// (CE(logits_per_text, arange) + CE(logits_per_image, arange)) / 2.</summary>
    public static Tensor ContrastiveLoss(Tensor logitsPerImage)
    {
        var n = logitsPerImage.Shape[0];
        if (logitsPerImage.Rank != 2 || logitsPerImage.Shape[1] != n)
            throw new ArgumentException($"the contrastive loss needs square logits, got {logitsPerImage.Shape}");
        var identity = new double[n * n];
        for (var i = 0; i < n; i++) identity[i * n + i] = 1;
        var diagonal = Tensor.FromDoubles(identity, new Shape(n, n), logitsPerImage.DType, logitsPerImage.Device);
        // The target of row i is column i in both directions, so each CE is minus the mean diagonal log-softmax.
        var imageLoss = -(logitsPerImage.LogSoftmax(-1) * diagonal).Sum() / n;
        var textLoss = -(logitsPerImage.T.LogSoftmax(-1) * diagonal).Sum() / n;
        return (imageLoss + textLoss) * 0.5;
    }

    /// <summary>x / ‖x‖₂ along the last dim.</summary>
    public static Tensor L2Normalize(Tensor x) => x * x.Square().Sum(-1, keepDim: true).Rsqrt();

    /// <summary>Embeddings without autograd history (evaluation).</summary>
    public Tensor EncodeImagesNoGrad(Tensor pixelValues)
    {
        using var noGrad = GradMode.NoGrad();
        return EncodeImages(pixelValues);
    }

    public Tensor EncodeTextsNoGrad(Tensor inputIds, Tensor? attentionMask = null)
    {
        using var noGrad = GradMode.NoGrad();
        return EncodeTexts(inputIds, attentionMask);
    }
}
