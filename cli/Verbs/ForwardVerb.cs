using System.CommandLine;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Models.Qwen25VL;

namespace StyleAlign.Cli.Verbs;

/// <summary>engine-cli forward: one forward pass on tensors read from a safetensors file, outputs written to another.</summary>
public sealed class ForwardVerb : IVerb
{
    /// <summary>Forward runners by config model_type (Qwen2.5-VL here; CLIP registers its own).</summary>
    public static readonly Dictionary<string, Func<ForwardRequest, Dictionary<string, Tensor>>> Runners = new(StringComparer.Ordinal)
    {
        [Qwen25VLConfig.ModelType] = RunQwen,
        ["clip"] = RunClip,
    };

    public Command Build()
    {
        var weights = VerbSupport.Weights();
        var inputs = new Option<string>("--inputs") { Description = "safetensors file with the model inputs", Required = true };
        var output = new Option<string>("--out") { Description = "safetensors file to write the outputs to", Required = true };
        var device = VerbSupport.DeviceOption();
        var dtype = new Option<string>("--dtype") { Description = "f32 or bf16 (bf16 weights and activations where the device supports it)", DefaultValueFactory = _ => "f32" };
        var hidden = new Option<bool>("--hidden-states") { Description = "Also write image_embeds, position_ids and hidden_states.N" };
        var command = new Command("forward", """
            Run one forward pass. Qwen2.5-VL inputs: input_ids (I64 [B,T]), attention_mask (I64 [B,T], optional),
            pixel_values (F32 [N,1176]) and image_grid_thw (I64 [n,3]); output: logits (F32 [B,T,V]).
            CLIP inputs: pixel_values (F32 [B,3,H,W]) and/or input_ids (I64 [B,L]) with attention_mask;
            outputs: image_embeds, text_embeds, logits_per_image.

            Example:
              engine-cli forward --weights tiny-qwen --inputs in.safetensors --out out.safetensors --hidden-states
            """);
        foreach (var o in new Option[] { weights, inputs, output, device, dtype, hidden }) command.Options.Add(o);
        command.SetAction(parse => VerbSupport.Run(parse, () =>
        {
            var weightsPath = parse.GetValue(weights)!;
            var modelType = HfConfig.ReadModelType(Qwen25VLModel.ConfigFolder(weightsPath));
            if (!Runners.TryGetValue(modelType, out var run))
                throw new UsageException($"model_type '{modelType}' is not supported by forward (supported: {string.Join(", ", Runners.Keys)})");
            var dt = parse.GetValue(dtype) switch
            {
                "f32" => DType.F32,
                "bf16" => DType.BF16,
                var other => throw new UsageException($"--dtype {other} is not one of: f32, bf16"),
            };
            var dev = Device.Parse(parse.GetValue(device)!);
            if (!dev.IsCpu) throw new UsageException($"--device {dev}: forward runs on the CPU in this build; CUDA model execution is not wired yet");
            using var inputFile = SafetensorsFile.Open(parse.GetValue(inputs)!);
            var request = new ForwardRequest(weightsPath, inputFile, dt, parse.GetValue(hidden));
            Dictionary<string, Tensor> outputs;
            using (Tape.NoGrad())
                outputs = run(request);
            foreach (var unused in inputFile.Entries.Keys.Except(request.Used).Order(StringComparer.Ordinal))
                VerbSupport.Warn($"input '{unused}' is not used by {modelType} and was ignored");
            TensorFiles.Write(parse.GetValue(output)!, outputs.Select(kv => (kv.Key, kv.Value)));
            Console.WriteLine($"wrote {string.Join(", ", outputs.Select(kv => $"{kv.Key} {kv.Value.Shape}"))}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>CLIP: image and/or text embeddings (projected, L2-normalized) and logits_per_image when both are given.</summary>
    private static Dictionary<string, Tensor> RunClip(ForwardRequest request)
    {
        var model = ClipModel.Load(request.WeightsPath);
        var outputs = new Dictionary<string, Tensor>();
        Tensor? image = null, text = null;
        if (request.Has("pixel_values"))
        {
            var pixels = request.Float("pixel_values");
            if (pixels.Rank != 4) throw new UsageException($"pixel_values has shape {pixels.Shape}, expected [B, 3, H, W]");
            outputs["image_embeds"] = image = model.EncodeImages(pixels);
        }
        if (request.Has("input_ids"))
        {
            var shape = request.Shape("input_ids");
            var ids = Tensor.FromArray(request.Long("input_ids"), shape.ToArray());
            var mask = request.Has("attention_mask") ? Tensor.FromArray(request.Long("attention_mask"), request.Shape("attention_mask").ToArray()) : null;
            outputs["text_embeds"] = text = model.EncodeTexts(ids, mask);
        }
        if (image is null && text is null) throw new UsageException("CLIP forward needs pixel_values and/or input_ids");
        if (image is not null && text is not null) outputs["logits_per_image"] = model.LogitsPerImage(image, text);
        return outputs;
    }

    private static Dictionary<string, Tensor> RunQwen(ForwardRequest request)
    {
        var model = Qwen25VLModel.Load(request.WeightsPath);
        if (request.DType == DType.BF16)
        {
            VerbSupport.Warn("the CPU computes in f32: weights are rounded to bf16, activations stay f32");
            foreach (var p in model.Parameters.All) p.Value.CopyFrom(p.Value.To(DType.BF16).To(DType.F32));
        }
        var ids = request.Matrix("input_ids", required: true)!;
        var mask = request.Matrix("attention_mask", required: false);
        Tensor? pixels = null;
        List<(int, int, int)> grids = [];
        if (request.Has("pixel_values") || request.Has("image_grid_thw"))
        {
            pixels = request.Float("pixel_values");
            var grid = request.Long("image_grid_thw");
            for (var i = 0; i + 2 < grid.Length; i += 3) grids.Add(((int)grid[i], (int)grid[i + 1], (int)grid[i + 2]));
        }
        var inputs = new Qwen25VLInputs(ids, mask, pixels, grids);
        var outputs = new Dictionary<string, Tensor>();
        var imageEmbeds = pixels is null ? null : model.EncodeImages(pixels, grids);
        var hidden = request.HiddenStates ? new List<Tensor>() : null;
        var final = model.Forward(inputs, imageEmbeds, hidden);
        outputs["logits"] = model.Logits(final);
        if (hidden is not null)
        {
            if (imageEmbeds is not null) outputs["image_embeds"] = imageEmbeds;
            var (positions, _) = model.PositionIds(inputs);
            outputs["position_ids"] = Tensor.FromArray(positions, 3, inputs.Batch, inputs.Length);
            for (var i = 0; i < hidden.Count; i++) outputs[$"hidden_states.{i}"] = hidden[i];
        }
        return outputs;
    }
}

/// <summary>What a forward runner reads: the weights, the input file (recording which keys it used), options.</summary>
public sealed class ForwardRequest(string weightsPath, SafetensorsFile inputs, DType dtype, bool hiddenStates)
{
    public string WeightsPath { get; } = weightsPath;

    public DType DType { get; } = dtype;

    public bool HiddenStates { get; } = hiddenStates;

    public HashSet<string> Used { get; } = new(StringComparer.Ordinal);

    public bool Has(string name) => inputs.Entries.ContainsKey(name);

    public long[] Long(string name) => Use(name, () => inputs.ReadAsInt64(name));

    /// <summary>An F32 tensor of the stored shape.</summary>
    public Tensor Float(string name) => Use(name, () => Tensor.FromFloats(inputs.ReadAsFloat32(name), Shape(name)));

    public Shape Shape(string name) => new(inputs.GetEntry(name).Shape.Select(d => checked((int)d)).ToArray());

    /// <summary>A rank-2 integer input as a [B, T] matrix.</summary>
    public long[,]? Matrix(string name, bool required)
    {
        if (!Has(name))
        {
            if (required) throw new UsageException($"{inputs.Path}: required input '{name}' is missing");
            return null;
        }
        var shape = Shape(name);
        if (shape.Rank != 2) throw new UsageException($"{inputs.Path}: '{name}' has shape {shape}, expected [B, T]");
        var values = Long(name);
        var m = new long[shape[0], shape[1]];
        for (var i = 0; i < shape[0]; i++)
            for (var j = 0; j < shape[1]; j++) m[i, j] = values[i * shape[1] + j];
        return m;
    }

    private T Use<T>(string name, Func<T> read)
    {
        if (!Has(name)) throw new UsageException($"{inputs.Path}: required input '{name}' is missing");
        Used.Add(name);
        return read();
    }
}
