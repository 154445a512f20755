using System.CommandLine;
using StyleAlign.Trainers.Lora;

namespace StyleAlign.Cli.Verbs;

/// <summary><c>engine-cli merge</c>: a full checkpoint with a run's LoRA adapters merged into the base weights.</summary>
public sealed class MergeVerb : IVerb
{
    public Command Build()
    {
        var weights = new Option<string>("--weights") { Description = "Base Qwen2.5-VL folder the adapters were trained on.", Required = true };
        var adapter = new Option<string>("--adapter") { Description = "Run folder (or adapter/checkpoint folder) with adapter_model.safetensors and adapter_config.json.", Required = true };
        var output = new Option<string>("--out") { Description = "New checkpoint folder (must be empty or absent).", Required = true };
        var command = new Command("merge", "Write a full Hugging Face checkpoint with LoRA adapters merged: W = W₀ + (α/r)·B·A.");
        command.Options.Add(weights);
        command.Options.Add(adapter);
        command.Options.Add(output);
        command.Options.Add(VerbSupport.AllowOutsidePaths());
        command.SetAction(parse =>
        {
            var outFolder = parse.GetValue(output)!;
            if (Directory.Exists(outFolder) && Directory.EnumerateFileSystemEntries(outFolder).Any())
                throw new UsageException($"--out '{outFolder}' is not empty; merge writes a new checkpoint folder");
            LoraMerge.Merge(parse.GetValue(weights)!, parse.GetValue(adapter)!, outFolder);
            parse.InvocationConfiguration.Output.WriteLine($"merged '{LoraMerge.AdapterFolder(parse.GetValue(adapter)!)}' into '{parse.GetValue(output)}'");
            return ExitCodes.Ok;
        });
        return command;
    }
}
