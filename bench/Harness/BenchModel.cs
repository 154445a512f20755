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

    /// <param name="trainable">the parameters the benchmark trains, by checkpoint name: held in f32 whatever the dtype</param>
    public Loaded Load(Device device, Func<string, bool>? trainable = null)
    {
        trainable ??= static _ => false;
        if ((Weights is null) == (Config is null)) throw new ArgumentException("give exactly one of --weights DIR and --config CONFIG.json");
        var clock = Stopwatch.StartNew();
        Qwen25VLModel model;
        DType dtype;
        if (Weights is not null)
        {
            dtype = DType ?? Engine.Core.DType.F32;
            model = Qwen25VLModel.Load(Weights, device, new WeightOptions { Bf16 = IsBf16(dtype), Trainable = trainable });
        }
        else
        {
            var config = Qwen25VLConfig.Load(Config!);
            dtype = DType ?? TorchDType(Config!);
            IParameterSource random = new RandomParameterSource(Seed, std: 0.02, device);
            model = Qwen25VLModel.Create(config, IsBf16(dtype) ? new Bf16FrozenMatrices(random, trainable) : random);
        }
        var held = dtype == Engine.Core.DType.BF16 ? "bf16 frozen matrices, f32 elsewhere" : "f32";
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

    private static bool IsBf16(DType dtype) => dtype switch
    {
        Engine.Core.DType.F32 => false,
        Engine.Core.DType.BF16 => true,
        _ => throw new ArgumentException($"benchmark weights are f32 or bf16, not {dtype.Name()}"),
    };

    /// <summary>Holds random frozen matrices as bf16, as a bf16 checkpoint's would be held once loaded (docs/models.md, "Numerics").</summary>
    private sealed class Bf16FrozenMatrices(IParameterSource inner, Func<string, bool> trainable) : IParameterSource
    {
        public Tensor Get(string name, Shape shape, ParameterInit init)
        {
            var value = inner.Get(name, shape, init);
            if (shape.Rank < 2 || trainable(name)) return value;
            using (value) return value.To(Engine.Core.DType.BF16);
        }
    }
}
