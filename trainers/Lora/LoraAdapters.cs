using System.Text.Json;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Trainers.Lora;

/// <summary>
/// LoRA settings. Defaults: rank 16, alpha 32 (scale 2), no dropout, all seven decoder projections — the common
/// PEFT recipe for small VLMs; with LoRA the learning rate is about 10× the full fine-tuning one (alignment spec §1(a)).
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
/// LoRA on the decoder's projections as a merged weight: before each forward the model's projection tensor holds
/// W_eff = W₀ + (α/r)·B·A, and after backward the gradient it accumulated (∂L/∂W_eff) is mapped to the adapters by the
/// chain rule, ∂L/∂B = (α/r)·G·Aᵀ and ∂L/∂A = (α/r)·Bᵀ·G. This is exact for the loss; it costs one [out, in] gradient
/// per adapted projection, and cannot apply dropout to the adapter's input (that needs a LoRA hook in the model's
/// linear layers). A is Kaiming-uniform as in PEFT (U(±1/√in)), B starts at zero so step 0 equals the base model.
/// </summary>
public sealed class LoraAdapters : ITrainableParameters
{
    private readonly List<Adapter> _adapters = [];
    private readonly List<(string Name, Tensor Parameter)> _named = [];

    public LoraAdapters(Qwen25VLModel model, LoraOptions options)
    {
        if (options.Rank < 1) throw new ArgumentOutOfRangeException(nameof(options), $"LoRA rank {options.Rank} must be at least 1");
        if (options.Dropout != 0)
            throw new NotSupportedException($"LoRA dropout {options.Dropout}: the merged-weight LoRA cannot drop the adapter's input; it needs a per-projection hook in the decoder (use --lora-dropout 0)");
        var unknown = options.TargetModules.Except(LoraOptions.AllTargetModules).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"unknown LoRA target modules: {string.Join(", ", unknown)} (expected some of {string.Join(", ", LoraOptions.AllTargetModules)})");
        Options = options;
        var rng = new RandomGenerator(options.Seed);
        foreach (var (name, weight) in model.Parameters.All)
        {
            if (!name.StartsWith("model.layers.", StringComparison.Ordinal) || !name.EndsWith(".weight", StringComparison.Ordinal)) continue;
            var module = name[..^".weight".Length];
            var leaf = module[(module.LastIndexOf('.') + 1)..];
            if (!options.TargetModules.Contains(leaf)) continue;
            var (outFeatures, inFeatures) = (weight.Shape[0], weight.Shape[1]);
            var bound = 1.0 / Math.Sqrt(inFeatures);
            var a = Tape.Untracked(() => Tensor.Rand(new Shape(options.Rank, inFeatures), rng, -bound, bound, DType.F32, weight.Device));
            var b = Tape.Untracked(() => Tensor.Zeros(new Shape(outFeatures, options.Rank), DType.F32, weight.Device));
            a.RequiresGrad = b.RequiresGrad = true;
            var frozen = Tape.Untracked(() => weight.Contiguous().Clone());
            var adapter = new Adapter(module, weight, frozen, a, b);
            _adapters.Add(adapter);
            _named.Add((LoraAName(module), a));
            _named.Add((LoraBName(module), b));
        }
        if (_adapters.Count == 0) throw new InvalidOperationException("no decoder projection matched the LoRA target modules");
        foreach (var (_, p) in model.Parameters.All) p.RequiresGrad = false;
        foreach (var adapter in _adapters) adapter.Weight.RequiresGrad = true;
        Install();
    }

    public LoraOptions Options { get; }

    public IReadOnlyList<(string Name, Tensor Parameter)> Named => _named;

    public static string LoraAName(string module) => $"base_model.model.{module}.lora_A.weight";

    public static string LoraBName(string module) => $"base_model.model.{module}.lora_B.weight";

    public bool Decays(string name, Tensor parameter) => true;

    public void Install()
    {
        foreach (var adapter in _adapters)
            Tape.Untracked(() =>
            {
                using var noGrad = Tape.NoGrad();
                using var product = adapter.B.MatMul(adapter.A);
                using var scaled = product * Options.Scale;
                using var merged = adapter.Base + scaled;
                adapter.Weight.Backend.CopyInto(adapter.Weight, merged);
                return 0;
            });
    }

    public void CollectGradients()
    {
        foreach (var adapter in _adapters)
        {
            var g = adapter.Weight.Grad;
            if (g is null) continue;
            Tape.Untracked(() =>
            {
                using var noGrad = Tape.NoGrad();
                using var bT = adapter.B.T;
                using var gradA0 = bT.MatMul(g);
                using var gradA = gradA0 * Options.Scale;
                using var aT = adapter.A.T;
                using var gradB0 = g.MatMul(aT);
                using var gradB = gradB0 * Options.Scale;
                Accumulate(adapter.A, gradA);
                Accumulate(adapter.B, gradB);
                return 0;
            });
            g.Dispose();
            adapter.Weight.Grad = null;
        }
    }

    public IDisposable UseReference()
    {
        foreach (var adapter in _adapters) adapter.Weight.Backend.CopyInto(adapter.Weight, adapter.Base);
        return new Restore(Install);
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

    public void Load(string folder)
    {
        TensorFiles.ReadInto(Path.Combine(folder, "adapter_model.safetensors"), _named);
        Install();
    }

    public void Dispose()
    {
        foreach (var adapter in _adapters)
        {
            adapter.A.Grad?.Dispose();
            adapter.B.Grad?.Dispose();
            adapter.A.Dispose();
            adapter.B.Dispose();
            adapter.Base.Dispose();
        }
        _adapters.Clear();
    }

    internal static void Accumulate(Tensor leaf, Tensor grad)
    {
        if (leaf.Grad is null)
        {
            leaf.Grad = grad.Contiguous().Clone();
            return;
        }
        var sum = leaf.Grad + grad;
        leaf.Grad.Dispose();
        leaf.Grad = sum;
    }

    private sealed record Adapter(string Module, Tensor Weight, Tensor Base, Tensor A, Tensor B);

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
