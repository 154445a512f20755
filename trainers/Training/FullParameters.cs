using StyleAlign.Engine.IO;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Models.Qwen25VL;

namespace StyleAlign.Trainers.Training;

/// <summary>
/// Full fine-tuning: the model's own tensors are the leaves (the vision tower only with <c>trainVision</c>).
/// A reference snapshot is kept only when asked for (on-policy negatives need reference log-probs mid-run).
/// </summary>
public sealed class FullParameters : ITrainableParameters
{
    private readonly List<(string Name, Tensor Parameter)> _named;
    private readonly List<Tensor>? _reference;
    private readonly Qwen25VLModel _model;

    public FullParameters(Qwen25VLModel model, bool trainVision, bool keepReference)
    {
        _model = model;
        _named = model.Parameters.All.Where(p => Trains(p.Key, trainVision)).Select(p => (p.Key, p.Value)).ToList();
        var held = _named.FirstOrDefault(p => p.Parameter.DType is not (DType.F32 or DType.F64));
        if (held.Parameter is not null)
            throw new InvalidOperationException($"'{held.Name}' is held as {held.Parameter.DType.Name()}; full fine-tuning needs the model loaded with its trained weights in f32 (WeightOptions.Trainable)");
        foreach (var (_, p) in model.Parameters.All) p.RequiresGrad = false;
        foreach (var (_, p) in _named) p.RequiresGrad = true;
        if (keepReference) _reference = _named.Select(p => TensorScope.Untracked(() => p.Parameter.Contiguous().Clone())).ToList();
    }

    public IReadOnlyList<(string Name, Tensor Parameter)> Named => _named;

    /// <summary>Whether full fine-tuning trains the parameter of this checkpoint name.</summary>
    public static bool Trains(string name, bool trainVision) => trainVision || !name.StartsWith("visual.", StringComparison.Ordinal);

    public bool Decays(string name, Tensor parameter) => parameter.Rank >= 2 && !name.EndsWith("norm.weight", StringComparison.Ordinal);

    /// <summary>Full fine-tuning draws nothing per step.</summary>
    public void BeginStep(int step)
    {
    }

    /// <summary>The model's own tensors were trained: there is nothing to fold in.</summary>
    public void MergeInto(Qwen25VLModel model)
    {
        if (!ReferenceEquals(model, _model)) throw new ArgumentException("these parameters belong to another model", nameof(model));
    }

    public IDisposable UseReference()
    {
        if (_reference is null) throw new InvalidOperationException("full fine-tuning was set up without a reference copy of the weights");
        var current = _named.Select(p => TensorScope.Untracked(() => p.Parameter.Contiguous().Clone())).ToList();
        for (var i = 0; i < _named.Count; i++) _named[i].Parameter.CopyFrom(_reference[i]);
        return new Swap(() =>
        {
            for (var i = 0; i < _named.Count; i++)
            {
                _named[i].Parameter.CopyFrom(current[i]);
                current[i].Dispose();
            }
        });
    }

    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        TensorFiles.Write(Path.Combine(folder, "model.safetensors"), _named);
    }

    public void Load(string folder) => TensorFiles.ReadInto(Path.Combine(folder, "model.safetensors"), _named);

    public void Dispose()
    {
        if (_reference is null) return;
        foreach (var t in _reference) t.Dispose();
    }

    private sealed class Swap(Action restore) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            restore();
        }
    }
}
