using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Trainers.Evaluation;

/// <summary>One classifier input: normalized CLIP embeddings of an image and a caption, and whether the caption is stylized.</summary>
public sealed record LabeledEmbedding(float[] Image, float[] Text, bool Stylized);

public sealed record StyleClassifierTrainingOptions
{
    public int HiddenSize { get; init; } = 256;
    public int Layers { get; init; } = 2;
    public double Dropout { get; init; } = 0.1;
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 32;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>Epochs without a better validation result before training stops.</summary>
    public int Patience { get; init; } = 3;

    public ulong Seed { get; init; } = 1234;

    /// <summary>
    /// Three layers and up to 100 epochs (stopping after 20 without a better validation result). The defaults (two
    /// layers, 10 epochs) stop at about 90 % on the synthetic reference captions; this setting reaches 95–97 % there
    /// with the built-in tiny CLIP.
    /// </summary>
    public static StyleClassifierTrainingOptions ForTinyClip { get; } = new() { Layers = 3, Epochs = 100, Patience = 20 };
}

/// <summary>What a trained classifier is and how well it did; stored as classifier.json.</summary>
public sealed record StyleClassifierInfo(
    ClipIdentity Clip,
    string Style,
    StyleClassifierArchitecture Architecture,
    double ValidationAccuracy,
    double ValidationLoss,
    int BestEpoch,
    int EpochsRun,
    int TrainingExamples,
    int ValidationExamples);

/// <summary>
/// Binary style classifier on frozen CLIP embeddings (a PROPOSAL, docs/objectives.md, "Style-Acc"): [ê_img ; ê_txt] → MLP → logit,
/// BCE-with-logits, AdamW, early stopping on validation (best epoch by accuracy, ties by loss).
/// </summary>
public sealed partial class StyleClassifier : IDisposable
{
    public StyleClassifier(StyleClassifierNetwork network, StyleClassifierInfo info)
    {
        if (network.Architecture != info.Architecture)
            throw new ArgumentException($"network architecture {network.Architecture} differs from the recorded {info.Architecture}");
        Network = network;
        Info = info;
        Network.Eval();
    }

    public StyleClassifierNetwork Network { get; }

    public StyleClassifierInfo Info { get; }

    public static StyleClassifier Train(
        IReadOnlyList<LabeledEmbedding> training,
        IReadOnlyList<LabeledEmbedding> validation,
        string style,
        ClipIdentity clip,
        StyleClassifierTrainingOptions? options = null,
        Action<string>? log = null)
    {
        options ??= new StyleClassifierTrainingOptions();
        if (training.Count == 0) throw new ArgumentException("no training examples for the style classifier");
        if (validation.Count == 0) throw new ArgumentException("no validation examples for the style classifier (early stopping needs them)");
        if (options.Epochs <= 0 || options.BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "epochs and batch size must be positive");
        var dim = training[0].Image.Length;
        foreach (var e in training.Concat(validation))
            if (e.Image.Length != dim || e.Text.Length != dim)
                throw new ArgumentException($"every embedding must have dimension {dim}, found image {e.Image.Length} / text {e.Text.Length}");

        var architecture = new StyleClassifierArchitecture(dim, options.HiddenSize, options.Layers, options.Dropout);
        var rng = new RandomGenerator(options.Seed);
        var network = new StyleClassifierNetwork(architecture, new RandomParameterSource(rng));
        try
        {
            var (best, epochsRun) = Fit(network, training, validation, rng, options, log);
            var info = new StyleClassifierInfo(clip, style, architecture, best.Accuracy, best.Loss, best.Epoch, epochsRun, training.Count, validation.Count);
            return new StyleClassifier(network, info);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Epochs of AdamW with early stopping; leaves the best epoch's weights in the network.</summary>
    private static ((double Accuracy, double Loss, int Epoch) Best, int EpochsRun) Fit(
        StyleClassifierNetwork network, IReadOnlyList<LabeledEmbedding> training, IReadOnlyList<LabeledEmbedding> validation,
        RandomGenerator rng, StyleClassifierTrainingOptions options, Action<string>? log)
    {
        using var optimizer = new AdamW(AdamW.DecayGroups(network.Parameters.Named, options.WeightDecay), new AdamWOptions(options.LearningRate, WeightDecay: options.WeightDecay));
        var best = (Accuracy: -1.0, Loss: double.PositiveInfinity, Epoch: 0, Weights: network.Snapshot());
        var epochsRun = 0;
        ulong step = 0;
        for (var epoch = 1; epoch <= options.Epochs; epoch++)
        {
            epochsRun = epoch;
            network.Train();
            var order = rng.Permutation(training.Count);
            double lossSum = 0;
            for (var start = 0; start < order.Length; start += options.BatchSize)
            {
                var batch = order.Skip(start).Take(options.BatchSize).Select(i => training[i]).ToList();
                using var scope = TensorScope.Begin();
                var (inputs, labels) = ToTensors(batch);
                var loss = StyleClassifierNetwork.BinaryCrossEntropyWithLogits(network.Forward(inputs, ++step), labels);
                lossSum += loss.Item() * batch.Count;
                loss.Backward();
                optimizer.Step();
                optimizer.ZeroGrad();
            }
            network.Eval();
            var (accuracy, validationLoss) = Measure(network, validation);
            log?.Invoke($"epoch {epoch}: train loss {lossSum / training.Count:F4}, validation loss {validationLoss:F4}, accuracy {accuracy:P1}");
            if (accuracy > best.Accuracy || (accuracy == best.Accuracy && validationLoss < best.Loss))
            {
                Free(best.Weights);
                best = (accuracy, validationLoss, epoch, network.Snapshot());
            }
            else if (epoch - best.Epoch >= options.Patience)
            {
                break;
            }
        }
        network.Restore(best.Weights);
        Free(best.Weights);
        return ((best.Accuracy, best.Loss, best.Epoch), epochsRun);

        static void Free(Dictionary<string, Tensor> weights)
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Splits examples for training without a validation file: a tenth (at least one) is held out for early
    /// stopping, chosen by a permutation seeded like the training; the rest keep their order.
    /// </summary>
    public static (IReadOnlyList<T> Training, IReadOnlyList<T> Validation) HoldOut<T>(IReadOnlyList<T> examples, ulong seed)
    {
        if (examples.Count < 2) throw new ArgumentException($"{examples.Count} example cannot be split into training and validation");
        var order = new RandomGenerator(seed).Permutation(examples.Count);
        var held = Math.Max(1, examples.Count / 10);
        return (order.Skip(held).Order().Select(i => examples[i]).ToList(), order.Take(held).Select(i => examples[i]).ToList());
    }

    /// <summary>σ(logit) for every (image, text) embedding pair.</summary>
    public double[] Probabilities(IReadOnlyList<(float[] Image, float[] Text)> pairs)
    {
        if (pairs.Count == 0) return [];
        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        var (inputs, _) = ToTensors(pairs.Select(p => new LabeledEmbedding(p.Image, p.Text, false)).ToList(), Info.Architecture.EmbeddingDim);
        return Network.Forward(inputs).Sigmoid().ToDoubleArray();
    }

    public double Probability(float[] image, float[] text) => Probabilities([(image, text)])[0];

    /// <summary>Fraction of examples whose probability is on the side of their label (> 0.5 for stylized).</summary>
    public double Accuracy(IReadOnlyList<LabeledEmbedding> examples)
    {
        if (examples.Count == 0) throw new ArgumentException("accuracy of an empty set");
        var p = Probabilities(examples.Select(e => (e.Image, e.Text)).ToList());
        return examples.Select((e, i) => (p[i] > 0.5) == e.Stylized).Count(c => c) / (double)examples.Count;
    }

    public void Dispose() => Network.Dispose();

    private static (double Accuracy, double Loss) Measure(StyleClassifierNetwork network, IReadOnlyList<LabeledEmbedding> examples)
    {
        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        var (inputs, labels) = ToTensors(examples);
        var logits = network.Forward(inputs);
        var loss = StyleClassifierNetwork.BinaryCrossEntropyWithLogits(logits, labels).Item();
        var values = logits.ToDoubleArray();
        var correct = examples.Select((e, i) => (values[i] > 0) == e.Stylized).Count(c => c);
        return (correct / (double)examples.Count, loss);
    }

    /// <returns>inputs [N, 2·d] and labels [N] (1 = stylized)</returns>
    private static (Tensor Inputs, Tensor Labels) ToTensors(IReadOnlyList<LabeledEmbedding> batch, int? expectedDim = null)
    {
        var dim = expectedDim ?? batch[0].Image.Length;
        var inputs = new float[batch.Count * 2 * dim];
        var labels = new float[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i].Image.Length != dim || batch[i].Text.Length != dim)
                throw new ArgumentException($"the classifier takes {dim}-dim embeddings, got image {batch[i].Image.Length} / text {batch[i].Text.Length}");
            batch[i].Image.CopyTo(inputs, i * 2 * dim);
            batch[i].Text.CopyTo(inputs, i * 2 * dim + dim);
            labels[i] = batch[i].Stylized ? 1f : 0f;
        }
        return (Tensor.FromFloats(inputs, new Shape(batch.Count, 2 * dim)), Tensor.FromFloats(labels, new Shape(batch.Count)));
    }
}
