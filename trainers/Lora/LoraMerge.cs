using StyleAlign.Engine.IO;
using StyleAlign.Engine.Models;
using System.Text.Json;
using StyleAlign.Engine.IO.Config;
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
        throw new InputFileException(Path.GetFullPath(runOrAdapter), $"holds no {AdapterFile} with {ConfigFile} (nor a checkpoint with one)");
    }

    /// <summary>Rank, alpha and target modules from a PEFT adapter_config.json; a missing or bad value is refused naming the file and key.</summary>
    public static LoraOptions ReadOptions(string adapterFolder)
    {
        var config = ConfigJson.Load(adapterFolder, ConfigFile);
        var options = new LoraOptions
        {
            Rank = config.Int(1, MaxRank, "r"),
            Alpha = config.PositiveDouble("lora_alpha"),
            TargetModules = config.StringArray("target_modules"),
        };
        var unknown = options.TargetModules.Except(LoraOptions.AllTargetModules).ToList();
        config.Check(unknown.Count == 0, $"'target_modules' names {string.Join(", ", unknown.Select(m => $"'{m}'"))}; this engine adapts {string.Join(", ", LoraOptions.AllTargetModules)}");
        config.ThrowIfProblems("LoRA adapter");
        return options;
    }

    /// <summary>Far above any useful rank; keeps the adapters' size bounded by the hidden sizes.</summary>
    private const int MaxRank = 65_536;

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
