using System.CommandLine;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Models;
using StyleAlign.Engine.Models.Qwen25VL;

namespace StyleAlign.Cli.Verbs;

/// <summary>
/// engine-cli init-random --config config.json --out DIR: a checkpoint folder with the exact tensor names and
/// shapes of a Qwen2.5-VL configuration and seeded random values — for testing loaders and memory at real size.
/// </summary>
public sealed class InitRandomVerb : IVerb
{
    public Command Build()
    {
        var config = new Option<string>("--config") { Description = "A Qwen2.5-VL config.json", Required = true };
        var output = new Option<string>("--out") { Description = "Folder to write", Required = true };
        var dtype = new Option<string>("--dtype") { Description = "bf16 (default) or f32", DefaultValueFactory = _ => "bf16" };
        var shardMb = new Option<int>("--shard-mb") { Description = "Largest shard size in MiB (an index is written)", DefaultValueFactory = _ => 2048 }.AtLeast(1);
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 1UL }.AnyValue();
        var force = new Option<bool>("--force") { Description = "Overwrite a non-empty folder" };
        var command = new Command("init-random", "Write a random checkpoint with the tensor names and shapes a config implies (sharded, with an index).\n\nExample:\n  engine-cli init-random --config docs/configs/qwen2.5-vl-3b-instruct.config.json --out /tmp/qwen3b-random");
        foreach (var o in new Option[] { config, output, dtype, shardMb, seed, force }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(output)!;
            if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any() && !parse.GetValue(force))
                throw new UsageException($"'{folder}' is not empty (pass --force to overwrite)");
            var stored = parse.GetValue(dtype) switch
            {
                "bf16" => DType.BF16,
                "f32" => DType.F32,
                var other => throw new UsageException($"--dtype {other} is not one of: bf16, f32"),
            };
                        var cfg = Qwen25VLConfig.Load(parse.GetValue(config)!);
            Directory.CreateDirectory(folder);
            cfg.Save(folder);
            var written = ModelWriter.WriteRandom(folder, source => Qwen25VLModel.Create(cfg, source), parse.GetValue(seed), stored, (long)parse.GetValue(shardMb) << 20);
            Console.WriteLine($"wrote {written.Tensors} tensors, {written.Parameters:N0} parameters, {written.Shards.Count} shard(s) to {folder}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
