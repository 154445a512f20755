using System.CommandLine;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Models;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Vision;
using StyleAlign.Trainers.Data.Import;

namespace StyleAlign.Cli.Verbs;

/// <summary>
/// engine-cli init-random --config config.json --out DIR: a trainable checkpoint folder with the exact tensor names
/// and shapes of a Qwen2.5-VL configuration and seeded random values, the config copied as given, a tokenizer whose
/// special-token ids match it, and the image processor and generation configs. Built beside the target and moved in
/// complete.
/// </summary>
public sealed class InitRandomVerb : IVerb
{
    public Command Build()
    {
        var config = new Option<string>("--config") { Description = "A Qwen2.5-VL config.json (copied into the folder unchanged)", Required = true };
        var output = new Option<string>("--out") { Description = "Folder to write", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Folder of the tokenizer to include (default: the built-in Qwen2 vocabulary or tiny tokenizer, whichever the config's special-token ids match)" };
        var dtype = new Option<string>("--dtype") { Description = "bf16 (default) or f32", DefaultValueFactory = _ => "bf16" };
        var shardMb = new Option<int>("--shard-mb") { Description = "Largest shard size in MiB (an index is written)", DefaultValueFactory = _ => 2048 }.AtLeast(1);
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 1UL }.AnyValue();
        var force = new Option<bool>("--force") { Description = "Overwrite a non-empty folder" };
        var command = new Command("init-random", "Write a trainable random checkpoint: the tensor names and shapes a config implies (sharded, with an index), the config as given, a matching tokenizer and the preprocessor config.\n\nExample:\n  engine-cli init-random --config docs/configs/qwen2.5-vl-3b-instruct.config.json --out /tmp/qwen3b-random");
        foreach (var o in new Option[] { config, output, tokenizer, dtype, shardMb, seed, force }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(output)!;
            if (StagedOutput.IsNonEmptyFolder(folder) && !parse.GetValue(force))
                throw new UsageException($"'{folder}' is not empty (pass --force to overwrite)");
            var stored = parse.GetValue(dtype) switch
            {
                "bf16" => DType.BF16,
                "f32" => DType.F32,
                var other => throw new UsageException($"--dtype {other} is not one of: bf16, f32"),
            };
            var configPath = ConfigJson.ResolveConfigPath(parse.GetValue(config)!);
            var cfg = Qwen25VLConfig.Load(configPath);
            using var staged = new StagedOutput(folder);
            // Copied, not re-serialized: every key the user wrote (pad_token_id, torch_dtype, initializer_range, ...) stays.
            File.Copy(configPath, Path.Combine(staged.Path, "config.json"));
            var (words, described) = CheckpointTokenizer.Write(staged.Path, cfg, configPath, parse.GetValue(tokenizer));
            QwenImageProcessor.For(cfg.Vision).Save(staged.Path);
            GenerationConfigFile.Write(staged.Path, cfg.Text.BosTokenId, words);
            var written = ModelWriter.WriteRandom(staged.Path, source => Qwen25VLModel.Create(cfg, source), parse.GetValue(seed), stored, (long)parse.GetValue(shardMb) << 20);
            RemoveStaleWeights(folder);
            staged.Commit();
            Console.WriteLine($"wrote {written.Tensors} tensors, {written.Parameters:N0} parameters, {written.Shards.Count} shard(s), {described} to {folder}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Weights of an earlier checkpoint in a folder overwritten with --force would sit beside the new ones
    /// under other shard names.</summary>
    private static void RemoveStaleWeights(string folder)
    {
        if (!Directory.Exists(folder)) return;
        foreach (var file in Directory.EnumerateFiles(folder, "*.safetensors").Append(Path.Combine(folder, "model.safetensors.index.json")))
            if (File.Exists(file)) File.Delete(file);
    }
}
