using System.Globalization;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Nn;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Trainers.Clip;

/// <summary>How one epoch of contrastive training went. Retrieval is the share of images whose own caption scores
/// highest among the captions of their batch (image → text, top-1), in %.</summary>
public sealed record ClipEpochReport(int Epoch, double TrainLoss, double? ValidationLoss, double? ValidationRetrieval, double LogitScale);

public sealed record ClipTrainingReport(IReadOnlyList<ClipEpochReport> Epochs, int Steps, int TrainImages, int TrainCaptions);

/// <summary>
/// Fine-tunes a CLIP model in place with its own objective: each batch holds distinct images, each with one of its
/// captions (drawn afresh every epoch), and the loss is the symmetric InfoNCE of <see cref="ClipModel.ContrastiveLoss"/>
/// over the batch's similarity matrix scaled by the learned temperature exp(logit_scale). As in CLIP's own training,
/// logit_scale is clamped to [0, ln 100] after every update, so logits are never scaled by more than 100.
/// AdamW (no decay on biases, norm weights and the temperature), linear warm-up then cosine decay.
/// </summary>
public static class ClipContrastiveTrainer
{
    /// <summary>ln 100: the largest logit scale CLIP training allows.</summary>
    public static readonly double MaxLogitScale = Math.Log(100);

    public static ClipTrainingReport Train(ClipPipeline clip, IReadOnlyList<ClipTrainingImage> train, IReadOnlyList<ClipTrainingImage>? validation,
        ClipTrainingOptions options, Action<string>? log = null)
    {
        options.Validate();
        if (train.Count < 2) throw new ArgumentException($"contrastive training needs at least two training images, got {train.Count}");
        var model = clip.Model;
        var trainable = model.Parameters.All.Where(p => !(options.FreezeVision && IsVisionSide(p.Key))).ToList();
        foreach (var (_, p) in trainable) p.RequiresGrad = true;

        var pixels = new PixelCache(clip);
        var rng = new RandomGenerator(options.Seed);
        var stepsPerEpoch = Batches(train.Count, options.BatchSize).Count;
        var totalSteps = stepsPerEpoch * options.Epochs;
        var schedule = new LearningRateSchedule(options.LearningRate, (int)(options.WarmupRatio * totalSteps), totalSteps);
        using var optimizer = new AdamW(AdamW.DecayGroups(trainable.Select(p => (p.Key, p.Value)), options.WeightDecay),
            new AdamWOptions(options.LearningRate, Beta2: 0.98, Epsilon: 1e-8, WeightDecay: options.WeightDecay));

        var epochs = new List<ClipEpochReport>();
        var step = 0;
        try
        {
            for (var epoch = 1; epoch <= options.Epochs; epoch++)
            {
                var order = rng.Permutation(train.Count);
                double lossSum = 0;
                var pairs = 0;
                foreach (var (start, count) in Batches(train.Count, options.BatchSize))
                {
                    var images = order.Skip(start).Take(count).Select(i => train[i]).ToList();
                    var captions = images.Select(image => image.Captions[rng.NextInt(image.Captions.Count)]).ToList();
                    using var tape = TensorScope.Begin();
                    var loss = BatchLoss(clip, pixels, images, captions).Loss;
                    lossSum += loss.Item() * count;
                    pairs += count;
                    loss.Backward();
                    optimizer.LearningRate = schedule.At(step++);
                    optimizer.Step();
                    optimizer.ZeroGrad();
                    ClampLogitScale(model);
                }
                (double Loss, double Retrieval)? measured = validation is { Count: >= 2 } ? Evaluate(clip, pixels, validation, options.BatchSize) : null;
                var report = new ClipEpochReport(epoch, lossSum / pairs, measured?.Loss, measured?.Retrieval, LogitScaleOf(model));
                epochs.Add(report);
                log?.Invoke(Describe(report, options.Epochs));
            }
        }
        finally
        {
            foreach (var (_, p) in trainable) p.RequiresGrad = false;
        }
        return new ClipTrainingReport(epochs, step, train.Count, train.Sum(i => i.Captions.Count));
    }

    /// <summary>Mean contrastive loss and image → text retrieval (%) with each image's caption fixed (image i takes its
    /// caption i mod count), in batches of the training size.</summary>
    public static (double Loss, double Retrieval) Evaluate(ClipPipeline clip, IReadOnlyList<ClipTrainingImage> images, int batchSize) =>
        Evaluate(clip, new PixelCache(clip), images, batchSize);

    private static (double Loss, double Retrieval) Evaluate(ClipPipeline clip, PixelCache pixels, IReadOnlyList<ClipTrainingImage> images, int batchSize)
    {
        using var noGrad = GradMode.NoGrad();
        double lossSum = 0, correct = 0;
        foreach (var (start, count) in Batches(images.Count, batchSize))
        {
            var batch = images.Skip(start).Take(count).ToList();
            var captions = batch.Select((image, i) => image.Captions[(start + i) % image.Captions.Count]).ToList();
            using var tape = TensorScope.Begin();
            var (loss, logits) = BatchLoss(clip, pixels, batch, captions);
            lossSum += loss.Item() * count;
            var values = logits.ToDoubleArray();
            for (var row = 0; row < count; row++)
            {
                var best = 0;
                for (var col = 1; col < count; col++)
                    if (values[row * count + col] > values[row * count + best]) best = col;
                if (best == row) correct++;
            }
        }
        return (lossSum / images.Count, 100 * correct / images.Count);
    }

    private static (Tensor Loss, Tensor LogitsPerImage) BatchLoss(ClipPipeline clip, PixelCache pixels, IReadOnlyList<ClipTrainingImage> images, IReadOnlyList<string> captions)
    {
        var (ids, mask) = clip.Model.Tokenize(clip.Tokenizer, captions);
        return BatchLoss(clip.Model, pixels.Batch(images.Select(i => i.ImagePath).ToList()), ids, mask);
    }

    /// <summary>The training loss of one batch where image i and caption i are the positive pairs: the symmetric InfoNCE
    /// of CLIPModel's own loss over logits_per_image = exp(logit_scale) · cos(image i, caption j).</summary>
    public static (Tensor Loss, Tensor LogitsPerImage) BatchLoss(ClipModel model, Tensor pixelValues, Tensor inputIds, Tensor attentionMask)
    {
        var logits = model.LogitsPerImage(model.EncodeImages(pixelValues), model.EncodeTexts(inputIds, attentionMask));
        return (ClipModel.ContrastiveLoss(logits), logits);
    }

    /// <summary>Start and size of each batch; a last batch of one image (which has no negative) joins the one before.</summary>
    internal static IReadOnlyList<(int Start, int Count)> Batches(int total, int batchSize)
    {
        var batches = new List<(int Start, int Count)>();
        for (var start = 0; start < total; start += batchSize) batches.Add((start, Math.Min(batchSize, total - start)));
        if (batches.Count > 1 && batches[^1].Count == 1)
        {
            var last = batches[^2];
            batches.RemoveRange(batches.Count - 2, 2);
            batches.Add((last.Start, last.Count + 1));
        }
        return batches;
    }

    private static bool IsVisionSide(string parameterName) =>
        parameterName.StartsWith("vision_model.", StringComparison.Ordinal) || parameterName.StartsWith("visual_projection.", StringComparison.Ordinal);

    private static void ClampLogitScale(ClipModel model)
    {
        var value = LogitScaleOf(model);
        var clamped = Math.Clamp(value, 0, MaxLogitScale);
        if (clamped == value) return;
        using var noGrad = GradMode.NoGrad();
        using var replacement = TensorScope.Untracked(() => Tensor.Scalar(clamped, model.LogitScale.DType, model.LogitScale.Device));
        model.LogitScale.Backend.CopyInto(model.LogitScale, replacement);
    }

    private static double LogitScaleOf(ClipModel model)
    {
        using var noGrad = GradMode.NoGrad();
        return model.LogitScale.Item();
    }

    private static string Describe(ClipEpochReport r, int epochs)
    {
        var c = CultureInfo.InvariantCulture;
        var validation = r.ValidationLoss is null ? "" : string.Format(c, ", validation loss {0:F4}, retrieval {1:F1} %", r.ValidationLoss, r.ValidationRetrieval);
        return string.Format(c, "epoch {0}/{1}: loss {2:F4}{3}, temperature exp(logit_scale) {4:F2}", r.Epoch, epochs, r.TrainLoss, validation, Math.Exp(r.LogitScale));
    }

    /// <summary>Each image decoded and preprocessed once while the cache stays under 1 GiB (small images, as in the
    /// synthetic data); past that, images are decoded again for every batch.</summary>
    private sealed class PixelCache(ClipPipeline clip)
    {
        private const long BudgetBytes = 1L << 30;
        private readonly Dictionary<string, float[]> _pixels = new(StringComparer.Ordinal);
        private long _bytes;

        public Tensor Batch(IReadOnlyList<string> imagePaths)
        {
            var size = clip.Model.Config.Vision.ImageSize;
            var plane = 3 * size * size;
            var values = new float[imagePaths.Count * plane];
            for (var i = 0; i < imagePaths.Count; i++)
            {
                if (!_pixels.TryGetValue(imagePaths[i], out var pixels))
                {
                    pixels = clip.ImageProcessor.Process(ImageDecoder.Load(imagePaths[i]));
                    if (_bytes + 4L * pixels.Length <= BudgetBytes)
                    {
                        _pixels[imagePaths[i]] = pixels;
                        _bytes += 4L * pixels.Length;
                    }
                }
                pixels.CopyTo(values, i * plane);
            }
            return Tensor.FromFloats(values, new Shape(imagePaths.Count, 3, size, size));
        }
    }
}
