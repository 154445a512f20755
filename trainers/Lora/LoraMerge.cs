using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models;
using System.Text.Json;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Trainers.Lora;

/// <summary>Writes a full Hugging Face checkpoint folder with LoRA adapters folded into the projection weights.</summary>
public static class LoraMerge
{
    public const string AdapterFile = "adapter_model.safetensors";
    public const string ConfigFile = "adapter_config.json";

    /// <summary>The folder holding the adapter: the run folder itself, its stage2 folder (CW-DPO), or its latest checkpoint.</summary>
    public static string AdapterFolder(string runOrAdapter)
    {
        foreach (var candidate in new[] { runOrAdapter, Path.Combine(runOrAdapter, "stage2") })
            if (File.Exists(Path.Combine(candidate, AdapterFile)) && File.Exists(Path.Combine(candidate, ConfigFile))) return candidate;
        var latest = CheckpointStore.Latest(runOrAdapter);
        if (latest is not null && File.Exists(Path.Combine(latest, AdapterFile))) return latest;
        throw new FileNotFoundException($"'{runOrAdapter}' holds no {AdapterFile} with {ConfigFile} (nor a checkpoint with one)");
    }

    /// <summary>Rank, alpha and target modules from a PEFT adapter_config.json.</summary>
    public static LoraOptions ReadOptions(string adapterFolder)
    {
        var path = Path.Combine(adapterFolder, ConfigFile);
        using var doc = JsonDocument.Parse(InputFiles.ReadAllText(path, InputFiles.MaxConfigBytes, ConfigFile));
        var root = doc.RootElement;
        if (!root.TryGetProperty("r", out var rank) || !root.TryGetProperty("lora_alpha", out var alpha) || !root.TryGetProperty("target_modules", out var targets))
            throw new InvalidDataException($"'{path}' lacks r, lora_alpha or target_modules");
        return new LoraOptions
        {
            Rank = rank.GetInt32(),
            Alpha = alpha.GetDouble(),
            TargetModules = targets.EnumerateArray().Select(t => t.GetString()!).ToArray(),
        };
    }

    /// <summary>Loads the base, folds the adapters in (W₀ + (α/r)·B·A), and writes model.safetensors plus the base folder's other files
    /// (config, tokenizer, processor) into <paramref name="outputFolder"/>, renamed into place when complete.</summary>
    public static void Merge(string baseWeights, string runOrAdapter, string outputFolder)
    {
        var adapterFolder = AdapterFolder(runOrAdapter);
        // Every weight may be merged into, so all are read into f32 memory: the merged model is exact, as before.
        var model = Qwen25VLModel.Load(baseWeights, weights: new WeightOptions { Trainable = static _ => true });
        using (var adapters = new LoraAdapters(model, ReadOptions(adapterFolder)))
        {
            adapters.Load(adapterFolder);
            adapters.MergeInto(model);
        }
        var final = Path.GetFullPath(outputFolder);
        if (Directory.Exists(final) && Directory.EnumerateFileSystemEntries(final).Any())
            throw new IOException($"output folder '{outputFolder}' is not empty");
        var temporary = final.TrimEnd(Path.DirectorySeparatorChar) + $".tmp-{Guid.NewGuid():N}";
        Directory.CreateDirectory(temporary);
        try
        {
            TensorFiles.Write(Path.Combine(temporary, "model.safetensors"), model.Parameters.All.Select(p => (p.Key, p.Value)));
            var baseFolder = Directory.Exists(baseWeights) ? baseWeights : Path.GetDirectoryName(Path.GetFullPath(baseWeights))!;
            foreach (var file in Directory.EnumerateFiles(baseFolder))
            {
                var name = Path.GetFileName(file);
                if (name.EndsWith(".safetensors", StringComparison.Ordinal) || name == "model.safetensors.index.json") continue;
                File.Copy(file, Path.Combine(temporary, name));
            }
            if (Directory.Exists(final)) Directory.Delete(final);
            Directory.Move(temporary, final);
        }
        finally
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        }
    }
}
