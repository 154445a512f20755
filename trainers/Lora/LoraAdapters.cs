using System.Text.Json;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Nn;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Trainers.Lora;

/// <summary>
/// LoRA settings. Defaults: rank 16, alpha 32 (scale 2), no dropout, all seven decoder projections — the common
/// PEFT recipe for small VLMs; with LoRA the learning rate is about 10× the full fine-tuning one (docs/objectives.md, "Learning rates").
/// </summary>
public sealed record LoraOptions
{
    public static readonly IReadOnlyList<string> AllTargetModules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public int Rank { get; init; } = 16;
    public double Alpha { get; init; } = 32;
    public double Dropout { get; init; }
    public IReadOnlyList<string> TargetModules { get; init; } = AllTargetModules;
    public ulong Seed { get; init; } = 42;

    public double Scale => Alpha / Rank;
}

/// <summary>
/// LoRA on the decoder's projections through the model's projection hook: y = x·Wᵀ + b + (α/r)·(dropout(x)·Aᵀ)·Bᵀ.
/// The base weight W stays frozen (no gradient is ever formed for it); gradients land on A and B directly.
/// A is Kaiming-uniform as in PEFT (U(±1/√in)), B starts at zero so step 0 equals the base model. Dropout masks are
/// keyed by (seed, optimizer step, module), so a resumed run draws the masks the uninterrupted one drew.
/// <see cref="MergeInto"/> folds the adapters into the base weights (W ← W + (α/r)·B·A); disposing only detaches
/// and frees them, leaving the base weights as they were.
/// </summary>
public sealed class LoraAdapters : ITrainableParameters
{
    private readonly Dictionary<string, Adapter> _adapters = new(StringComparer.Ordinal);
    private readonly List<(string Name, Tensor Parameter)> _named = [];
    private readonly Qwen25VLModel _model;
    private bool _referenceView;
    private long _step;

    public LoraAdapters(Qwen25VLModel model, LoraOptions options)
    {
        if (options.Rank < 1) throw new ArgumentOutOfRangeException(nameof(options), $"LoRA rank {options.Rank} must be at least 1");
        if (options.Dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(options), $"LoRA dropout {options.Dropout} must be in [0, 1)");
        var unknown = options.TargetModules.Except(LoraOptions.AllTargetModules).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown LoRA target modules: {string.Join(", ", unknown)} (expected some of {string.Join(", ", LoraOptions.AllTargetModules)})");
        if (model.Decoder.Projections.Hook is not null) throw new InvalidOperationException("the model already has adapters attached; dispose them first");
        Options = options;
        _model = model;
        var rng = new RandomGenerator(options.Seed);
        foreach (var (name, weight) in model.Parameters.All)
        {
            if (!name.StartsWith("model.layers.", StringComparison.Ordinal) || !name.EndsWith(".weight", StringComparison.Ordinal)) continue;
            var module = name[..^".weight".Length];
            var leaf = module[(module.LastIndexOf('.') + 1)..];
            if (!options.TargetModules.Contains(leaf)) continue;
            var (outFeatures, inFeatures) = (weight.Shape[0], weight.Shape[1]);
            var bound = 1.0 / Math.Sqrt(inFeatures);
            var a = TensorScope.Untracked(() => Tensor.Rand(new Shape(options.Rank, inFeatures), rng, -bound, bound, DType.F32, weight.Device));
            var b = TensorScope.Untracked(() => Tensor.Zeros(new Shape(outFeatures, options.Rank), DType.F32, weight.Device));
            a.RequiresGrad = b.RequiresGrad = true;
            _adapters[module] = new Adapter(module, weight, a, b, (ulong)_adapters.Count + 1);
            _named.Add((LoraAName(module), a));
            _named.Add((LoraBName(module), b));
        }
        if (_adapters.Count == 0) throw new InvalidOperationException("no decoder projection matched the LoRA target modules");
        foreach (var (_, p) in model.Parameters.All) p.RequiresGrad = false;
        model.Decoder.Projections.Hook = Project;
    }

    public LoraOptions Options { get; }

    public IReadOnlyList<(string Name, Tensor Parameter)> Named => _named;

    public static string LoraAName(string module) => $"base_model.model.{module}.lora_A.weight";

    public static string LoraBName(string module) => $"base_model.model.{module}.lora_B.weight";

    public bool Decays(string name, Tensor parameter) => true;

    /// <summary>Keys the dropout masks of this step's forward passes.</summary>
    public void BeginStep(int step) => _step = step;

    public IDisposable UseReference()
    {
        _referenceView = true;
        return new Restore(() => _referenceView = false);
    }

    private Tensor? Project(string module, Tensor x, Tensor weight, Tensor? bias)
    {
        if (_referenceView || !_adapters.TryGetValue(module, out var adapter)) return null;
        // Training passes drop out, including a checkpointed layer's unrecorded forward and its recomputation.
        var input = Options.Dropout > 0 && GradMode.IsDifferentiating
            ? Functional.Dropout(x, Options.Dropout, DropoutSeed(adapter), training: true)
            : x;
        // The adapters are f32 whatever the base weights' dtype: the update is computed in f32 and joins the base
        // projection in the activations' dtype.
        var wide = input.DType == adapter.A.DType ? input : input.To(adapter.A.DType);
        var update = Functional.Linear(Functional.Linear(wide, adapter.A), adapter.B) * Options.Scale;
        var projected = Functional.Linear(x, weight, bias);
        return projected + (update.DType == projected.DType ? update : update.To(projected.DType));
    }

    private ulong DropoutSeed(Adapter adapter)
    {
        var key = Options.Seed ^ ((ulong)_step * 0x9E3779B97F4A7C15UL) ^ (adapter.Index * 0xBF58476D1CE4E5B9UL);
        return SplitMix64.Next(ref key);
    }

    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        TensorFiles.Write(Path.Combine(folder, "adapter_model.safetensors"), _named);
        var config = new Dictionary<string, object?>
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["r"] = Options.Rank,
            ["lora_alpha"] = Options.Alpha,
            ["lora_dropout"] = Options.Dropout,
            ["target_modules"] = Options.TargetModules,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["base_model_name_or_path"] = null,
        };
        StyleAlign.Engine.IO.AtomicFile.WriteAllText(Path.Combine(folder, "adapter_config.json"), JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }));
    }

    public void Load(string folder) => TensorFiles.ReadInto(Path.Combine(folder, "adapter_model.safetensors"), _named);

    /// <summary>
    /// Folds the adapters into the base weights they adapt, W ← W + (α/r)·B·A, and detaches them: the model alone
    /// then computes what it computed with the adapters. The adapters are spent afterwards (dispose them).
    /// </summary>
    public void MergeInto(Qwen25VLModel model)
    {
        if (!ReferenceEquals(model, _model)) throw new ArgumentException("these LoRA adapters are attached to another model", nameof(model));
        if (_adapters.Count == 0) throw new InvalidOperationException("the LoRA adapters were already merged or disposed");
        Detach();
        foreach (var adapter in _adapters.Values)
            TensorScope.Untracked(() =>
            {
                using var noGrad = GradMode.NoGrad();
                using var product = adapter.B.MatMul(adapter.A);
                using var scaled = product * Options.Scale;
                // A frozen bf16 weight is merged in f32 and rounded back to bf16 once, as a bf16 model merges.
                using var wide = adapter.Weight.DType == scaled.DType ? null : adapter.Weight.To(scaled.DType);
                using var merged = (wide ?? adapter.Weight) + scaled;
                using var stored = merged.DType == adapter.Weight.DType ? null : merged.To(adapter.Weight.DType);
                adapter.Weight.CopyFrom(stored ?? merged);
                return 0;
            });
        Release();
    }

    /// <summary>Detaches the adapters and frees them; the base weights stay as they are.</summary>
    public void Dispose()
    {
        Detach();
        Release();
    }

    private void Detach()
    {
        if (_model.Decoder.Projections.Hook == Project) _model.Decoder.Projections.Hook = null;
    }

    private void Release()
    {
        foreach (var adapter in _adapters.Values)
        {
            adapter.A.Grad?.Dispose();
            adapter.B.Grad?.Dispose();
            adapter.A.Dispose();
            adapter.B.Dispose();
        }
        _adapters.Clear();
    }

    private sealed record Adapter(string Module, Tensor Weight, Tensor A, Tensor B, ulong Index);

    private sealed class Restore(Action restore) : IDisposable
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
