using StyleAlign.Engine.Core;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Trainers.Evaluation;

/// <summary>The shape of a style classifier: [image ; text] embeddings → (Linear → ReLU → Dropout)×(layers−1) → Linear → 1 logit.</summary>
public sealed record StyleClassifierArchitecture(int EmbeddingDim, int HiddenSize = 256, int Layers = 2, double Dropout = 0.1)
{
    public int InputDim => 2 * EmbeddingDim;

    public void Validate()
    {
        if (EmbeddingDim <= 0) throw new ArgumentOutOfRangeException(nameof(EmbeddingDim), $"embedding dim {EmbeddingDim} must be positive");
        if (Layers is < 2 or > 4) throw new ArgumentOutOfRangeException(nameof(Layers), $"the classifier MLP has 2 to 4 layers, got {Layers}");
        if (HiddenSize <= 0) throw new ArgumentOutOfRangeException(nameof(HiddenSize), $"hidden size {HiddenSize} must be positive");
        if (Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(Dropout), $"dropout {Dropout} is outside [0, 1)");
    }

    /// <summary>(out, in) of every linear layer, first to last.</summary>
    public IReadOnlyList<(int Out, int In)> LayerShapes =>
        Enumerable.Range(0, Layers).Select(i => (i == Layers - 1 ? 1 : HiddenSize, i == 0 ? InputDim : HiddenSize)).ToList();
}

/// <summary>The classifier MLP; parameters are named "layers.{i}.weight" / "layers.{i}.bias".</summary>
public sealed class StyleClassifierNetwork : Module
{
    private readonly List<(Tensor Weight, Tensor Bias)> _layers = [];

    /// <summary>Fresh weights, U(−1/√in, 1/√in) like torch.nn.Linear.</summary>
    public StyleClassifierNetwork(StyleClassifierArchitecture architecture, RandomGenerator rng)
        : this(architecture, (name, shape, fanIn) =>
        {
            var bound = 1.0 / Math.Sqrt(fanIn);
            return Tensor.Rand(shape, rng, -bound, bound);
        })
    {
    }

    /// <summary>Given weights by parameter name.</summary>
    public StyleClassifierNetwork(StyleClassifierArchitecture architecture, IReadOnlyDictionary<string, float[]> weights)
        : this(architecture, (name, shape, _) =>
        {
            if (!weights.TryGetValue(name, out var values)) throw new InvalidDataException($"classifier weights lack '{name}' {shape}");
            if (values.Length != shape.NumElements) throw new InvalidDataException($"classifier weight '{name}' has {values.Length} values, expected {shape.NumElements} for {shape}");
            return Tensor.FromFloats(values, shape);
        })
    {
    }

    private StyleClassifierNetwork(StyleClassifierArchitecture architecture, Func<string, Shape, int, Tensor> create)
    {
        architecture.Validate();
        Architecture = architecture;
        var shapes = architecture.LayerShapes;
        for (var i = 0; i < shapes.Count; i++)
        {
            var (outDim, inDim) = shapes[i];
            var weight = RegisterParameter($"layers.{i}.weight", TensorScope.Untracked(() => create($"layers.{i}.weight", new Shape(outDim, inDim), inDim)));
            var bias = RegisterParameter($"layers.{i}.bias", TensorScope.Untracked(() => create($"layers.{i}.bias", new Shape(outDim), inDim)));
            _layers.Add((weight, bias));
        }
    }

    public StyleClassifierArchitecture Architecture { get; }

    /// <param name="inputs">[N, 2·d] concatenated normalized embeddings</param>
    /// <param name="dropoutSeed">varies the dropout mask per step; ignored in eval mode</param>
    /// <returns>[N] logits</returns>
    public Tensor Forward(Tensor inputs, ulong dropoutSeed = 0)
    {
        var x = inputs;
        for (var i = 0; i < _layers.Count; i++)
        {
            x = Functional.Linear(x, _layers[i].Weight, _layers[i].Bias);
            if (i < _layers.Count - 1)
                x = Functional.Dropout(x.Relu(), Architecture.Dropout, dropoutSeed * 31 + (ulong)i, IsTraining);
        }
        return x.Reshape(inputs.Shape[0]);
    }

    /// <summary>Mean BCE-with-logits, softplus(f) − y·f in its overflow-free form max(f, 0) + log(1 + e^−|f|) − y·f.</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor labels) =>
        (logits.Relu() + ((-logits.Abs()).Exp() + 1).Log() - labels * logits).Mean();

    /// <summary>Current weights by parameter name (copies).</summary>
    public Dictionary<string, float[]> Snapshot() => NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToFloatArray(), StringComparer.Ordinal);
}
