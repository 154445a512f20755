using System.Diagnostics;
using System.Text.Json;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Models;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Bench.Harness;

/// <summary>Where a benchmark's model comes from: a checkpoint folder, or a config whose weights are made in memory.</summary>
/// <param name="Weights">a Qwen2.5-VL checkpoint folder</param>
/// <param name="Config">a config.json: random weights are made in memory, every byte written, so memory figures are honest</param>
/// <param name="DType">the weights' dtype (null: the config's torch_dtype with --config, f32 with --weights)</param>
public sealed record BenchModelSource(string? Weights, string? Config, DType? DType = null, ulong Seed = 42)
{
    /// <summary>What a run reports about its model: how it was made and held, and how long that took.</summary>
    public sealed record Loaded(Qwen25VLModel Model, string Origin, string WeightsDType, double LoadSeconds);

    public Loaded Load(Device device)
    {
        if ((Weights is null) == (Config is null)) throw new ArgumentException("give exactly one of --weights DIR and --config CONFIG.json");
        var clock = Stopwatch.StartNew();
        Qwen25VLModel model;
        DType dtype;
        if (Weights is not null)
        {
            model = Qwen25VLModel.Load(Weights, device);
            dtype = DType ?? Engine.Core.DType.F32;
        }
        else
        {
            var config = Qwen25VLConfig.Load(Config!);
            dtype = DType ?? TorchDType(Config!);
            model = Qwen25VLModel.Create(config, new RandomParameterSource(Seed, std: 0.02, device));
        }
        var held = HoldAs(model, dtype);
        return new Loaded(model, Weights is not null ? $"checkpoint {Weights}" : $"random weights from {Config} (seed {Seed})", held, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The config's torch_dtype (bfloat16 → BF16, float32 → F32; F32 when absent).</summary>
    public static DType TorchDType(string configPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(ConfigJson.ResolveConfigPath(configPath)));
        var name = doc.RootElement.TryGetProperty("torch_dtype", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return name switch
        {
            null or "float32" => Engine.Core.DType.F32,
            "bfloat16" => Engine.Core.DType.BF16,
            _ => throw new ArgumentException($"{configPath}: torch_dtype '{name}' is not one of float32, bfloat16"),
        };
    }

    /// <summary>Holds the weights in the dtype asked for, through the model's dtype path (<see cref="ModelForward.RoundToBf16"/>).</summary>
    private static string HoldAs(Qwen25VLModel model, DType dtype)
    {
        if (dtype == Engine.Core.DType.F32) return "f32";
        if (dtype != Engine.Core.DType.BF16) throw new ArgumentException($"benchmark weights are f32 or bf16, not {dtype.Name()}");
        ModelForward.RoundToBf16(model);
        return "bf16 values held as f32";
    }
}
