using System.Globalization;
using StyleAlign.Engine.Autograd;
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

/// <summary>
/// The classifier MLP, built through the engine's parameter system; parameters are named "layers.{i}.weight" /
/// "layers.{i}.bias". Disposing it frees them.
/// </summary>
public sealed class StyleClassifierNetwork : IDisposable
{
    private readonly List<(Tensor Weight, Tensor Bias)> _layers = [];

    /// <param name="source">
    /// where the weights come from: a <see cref="RandomParameterSource"/> for fresh ones (torch.nn.Linear's U(±1/√in)),
    /// a checkpoint source for stored ones
    /// </param>
    public StyleClassifierNetwork(StyleClassifierArchitecture architecture, IParameterSource source)
    {
        architecture.Validate();
        Architecture = architecture;
        var layers = new ParameterBuilder(source, Parameters).Scope("layers");
        var shapes = architecture.LayerShapes;
        for (var i = 0; i < shapes.Count; i++)
        {
            var (outDim, inDim) = shapes[i];
            var (weight, bias) = layers.Linear(i.ToString(CultureInfo.InvariantCulture), inDim, outDim);
            _layers.Add((weight, bias!));
        }
        foreach (var (_, p) in Parameters.All) p.RequiresGrad = true;
    }

    public StyleClassifierArchitecture Architecture { get; }

    public ParameterSet Parameters { get; } = new();

    /// <summary>True while training (dropout active), false after <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    public void Train() => IsTraining = true;

    public void Eval() => IsTraining = false;

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

    /// <summary>Copies of the current weights by parameter name, for <see cref="Restore"/>.</summary>
    public Dictionary<string, Tensor> Snapshot() =>
        Parameters.All.ToDictionary(p => p.Key, p => TensorScope.Untracked(() => p.Value.Contiguous().Clone()), StringComparer.Ordinal);

    /// <summary>Writes a <see cref="Snapshot"/> back into the weights, in place.</summary>
    public void Restore(IReadOnlyDictionary<string, Tensor> snapshot)
    {
        foreach (var (name, p) in Parameters.All) p.CopyFrom(snapshot[name]);
    }

    public void Dispose() => Parameters.Dispose();
}
