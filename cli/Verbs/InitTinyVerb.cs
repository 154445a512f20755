using System.CommandLine;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Models.Qwen25VL;

namespace StyleAlign.Cli.Verbs;

/// <summary>engine-cli init-tiny DIR [--model qwen25vl|clip] [--seed N] [--force]</summary>
public sealed class InitTinyVerb : IVerb
{
    /// <summary>Writers for the built-in tiny models by name; other assemblies' models register here.</summary>
    public static readonly Dictionary<string, Action<string, ulong?, bool>> Writers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["qwen25vl"] = (dir, seed, force) => TinyQwen.Write(dir, seed ?? TinyQwen.DefaultSeed, force),
        ["clip"] = (dir, seed, _) => TinyClip.Write(dir, seed ?? 7),
    };

    public Command Build()
    {
        var dir = new Argument<string>("DIR") { Description = "Folder to write the checkpoint into" };
        var model = new Option<string>("--model") { Description = "qwen25vl (default) or clip", DefaultValueFactory = _ => "qwen25vl" };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of the deterministic random weights" }.AnyValue();
        var force = new Option<bool>("--force") { Description = "Overwrite a non-empty folder" };
        var command = new Command("init-tiny", "Write a built-in tiny model as a Hugging Face checkpoint folder.\n\nExample:\n  engine-cli init-tiny tiny-qwen\n  engine-cli init-tiny tiny-clip --model clip");
        command.Arguments.Add(dir);
        command.Options.Add(model);
        command.Options.Add(seed);
        command.Options.Add(force);
        command.SetAction(parse =>
        {
            var name = parse.GetValue(model)!;
            if (!Writers.TryGetValue(name, out var write))
                throw new UsageException($"--model {name} is not one of: {string.Join(", ", Writers.Keys)}");
            var folder = parse.GetValue(dir)!;
            if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any() && !parse.GetValue(force))
                throw new UsageException($"'{folder}' is not empty (pass --force to overwrite)");
            write(folder, parse.GetValue(seed), parse.GetValue(force));
            Console.WriteLine($"wrote tiny {name} to {folder}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
