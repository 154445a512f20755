using System.CommandLine;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Nn;

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
        var shardMb = new Option<int>("--shard-mb") { Description = "Largest shard size in MiB (an index is written)", DefaultValueFactory = _ => 2048 };
        var seed = new Option<ulong>("--seed") { DefaultValueFactory = _ => 1UL };
        var force = new Option<bool>("--force") { Description = "Overwrite a non-empty folder" };
        var command = new Command("init-random", "Write a random checkpoint with the tensor names and shapes a config implies (sharded, with an index).\n\nExample:\n  engine-cli init-random --config docs/configs/qwen2.5-vl-3b-instruct.config.json --out /tmp/qwen3b-random");
        foreach (var o in new Option[] { config, output, dtype, shardMb, seed, force }) command.Options.Add(o);
        command.SetAction(parse => VerbSupport.Run(parse, () =>
        {
            var folder = parse.GetValue(output)!;
            if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any() && !parse.GetValue(force))
                throw new UsageException($"'{folder}' is not empty (pass --force to overwrite)");
            var bf16 = parse.GetValue(dtype) switch
            {
                "bf16" => true,
                "f32" => false,
                var other => throw new UsageException($"--dtype {other} is not one of: bf16, f32"),
            };
            var cfg = Qwen25VLConfig.Load(parse.GetValue(config)!);
            Directory.CreateDirectory(folder);
            cfg.Save(folder);
            var shapes = Shapes(cfg);
            var rng = new RandomGenerator(parse.GetValue(seed));
            var tensors = shapes.Select(s => Random(s.Name, s.Shape, s.Init, rng, bf16));
            var shards = SafetensorsWriter.WriteSharded(folder, tensors, (long)parse.GetValue(shardMb) << 20);
            Console.WriteLine($"wrote {shapes.Count} tensors, {shapes.Sum(s => s.Shape.NumElements):N0} parameters, {shards.Count} shard(s) to {folder}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Every tensor the model asks for, in order, without allocating it.</summary>
    private static List<(string Name, Shape Shape, ParameterInit Init)> Shapes(Qwen25VLConfig config)
    {
        var recorder = new ShapeRecorder();
        Qwen25VLModel.Create(config, recorder);
        return recorder.Requests;
    }

    private static (string, SafetensorsDType, long[], ReadOnlyMemory<byte>) Random(string name, Shape shape, ParameterInit init, RandomGenerator rng, bool bf16)
    {
        var n = shape.NumElements;
        var dims = shape.Select(d => (long)d).ToArray();
        float Value() => init.Kind switch
        {
            ParameterInitKind.Ones => 1f,
            ParameterInitKind.Zeros => 0f,
            _ => (float)(rng.NextNormal() * 0.02),
        };
        if (bf16)
        {
            var bits = new byte[n * 2];
            for (long i = 0; i < n; i++) BitConverter.TryWriteBytes(bits.AsSpan((int)(i * 2), 2), BFloat16Bits.FromSingle(Value()));
            return (name, SafetensorsDType.BF16, dims, bits);
        }
        var values = new float[n];
        for (long i = 0; i < n; i++) values[i] = Value();
        var bytes = new byte[n * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return (name, SafetensorsDType.F32, dims, bytes);
    }

    /// <summary>Answers every request with a one-element placeholder (views of it give the asked shape), recording name and shape.</summary>
    private sealed class ShapeRecorder : IParameterSource
    {
        public List<(string Name, Shape Shape, ParameterInit Init)> Requests { get; } = [];

        public Tensor Get(string name, Shape shape, ParameterInit init)
        {
            Requests.Add((name, shape, init));
            return Tensor.Zeros(new Shape(1)).Expand(shape);
        }
    }
}
