using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Models.Qwen25VL;

namespace StyleAlign.Engine.Models;

/// <summary>How to run a forward pass: the weights' dtype, whether to return the intermediate states too, and the
/// device (the CPU when null).</summary>
public sealed record ForwardOptions(DType DType = DType.F32, bool HiddenStates = false, Device? Device = null)
{
    public Device OnDevice => Device ?? Core.Device.Cpu;
}

/// <summary>The named output tensors, and notes on how the pass ran (e.g. a dtype the CPU emulates).</summary>
public sealed record ForwardResult(IReadOnlyDictionary<string, Tensor> Outputs, IReadOnlyList<string> Notes);

/// <summary>
/// One forward pass of a checkpoint on named inputs, chosen by the config's model_type. Qwen2.5-VL reads input_ids
/// [B, T], an optional attention_mask [B, T], pixel_values [N, 1176] with image_grid_thw [n, 3], and returns logits
/// (plus image_embeds, position_ids and hidden_states.N on request). CLIP reads pixel_values [B, 3, H, W] and/or
/// input_ids [B, L] with attention_mask, and returns image_embeds, text_embeds and logits_per_image.
/// </summary>
public static class ModelForward
{
    private static readonly Dictionary<string, Func<string, ForwardInputs, ForwardOptions, ForwardResult>> Runners = new(StringComparer.Ordinal)
    {
        [Qwen25VLConfig.ModelType] = RunQwen,
        ["clip"] = RunClip,
    };

    public static IReadOnlyCollection<string> ModelTypes => Runners.Keys;

    public static bool Supports(string modelType) => Runners.ContainsKey(modelType);

    /// <summary>Loads the checkpoint and runs it without recording history.</summary>
    public static ForwardResult Run(string weightsPath, ForwardInputs inputs, ForwardOptions options)
    {
        var modelType = HfConfig.ReadModelType(Qwen25VLModel.ConfigFolder(weightsPath));
        if (!Runners.TryGetValue(modelType, out var run))
            throw new NotSupportedException($"model_type '{modelType}' has no forward pass here (supported: {string.Join(", ", ModelTypes)})");
        using (GradMode.NoGrad())
        {
            try
            {
                var result = run(weightsPath, inputs, options);
                // Outputs are written from the host, in f32 (bf16 activations widened exactly).
                var outputs = result.Outputs.ToDictionary(kv => kv.Key, kv => OnHost(kv.Value));
                return result with { Outputs = outputs };
            }
            catch (ArgumentException e)
            {
                // The inputs were checked against the config; what the model still finds wrong is about them too.
                throw new InvalidInputException($"{inputs.Path}: {e.Message}", e);
            }
        }
    }

    private static Tensor OnHost(Tensor t)
    {
        var host = t.To(Device.Cpu);
        return host.DType == DType.BF16 ? host.To(DType.F32) : host;
    }

    /// <summary>CLIP: image and/or text embeddings (projected, L2-normalized) and logits_per_image when both are given.</summary>
    private static ForwardResult RunClip(string weightsPath, ForwardInputs inputs, ForwardOptions options)
    {
        ForwardInputChecks.CheckClip(inputs, ClipConfig.Load(Qwen25VLModel.ConfigFolder(weightsPath)));
        var model = ClipModel.Load(weightsPath, options.OnDevice);
        var outputs = new Dictionary<string, Tensor>();
        Tensor? image = null, text = null;
        if (inputs.Has("pixel_values"))
        {
            var pixels = inputs.Float("pixel_values");
            outputs["image_embeds"] = image = model.EncodeImages(pixels);
        }
        if (inputs.Has("input_ids"))
        {
            var ids = inputs.LongTensor("input_ids");
            var mask = inputs.Has("attention_mask") ? inputs.LongTensor("attention_mask") : null;
            outputs["text_embeds"] = text = model.EncodeTexts(ids, mask);
        }
        if (image is null && text is null) throw new InvalidInputException($"{inputs.Path}: a CLIP forward needs pixel_values and/or input_ids");
        if (image is not null && text is not null) outputs["logits_per_image"] = model.LogitsPerImage(image, text);
        return new ForwardResult(outputs, []);
    }

    private static ForwardResult RunQwen(string weightsPath, ForwardInputs inputs, ForwardOptions options)
    {
        ForwardInputChecks.CheckQwen(inputs, Qwen25VLConfig.Load(Qwen25VLModel.ConfigFolder(weightsPath)));
        // bf16 on the CPU: the matrices are held as bf16 (mapped when the checkpoint stores them so) and multiply f32
        // activations; on a GPU the weights and activations are bf16.
        var model = Qwen25VLModel.Load(weightsPath, new Placement(options.OnDevice, options.DType));
        var ids = inputs.Matrix("input_ids", required: true)!;
        var mask = inputs.Matrix("attention_mask", required: false);
        Tensor? pixels = null;
        List<(int, int, int)> grids = [];
        if (inputs.Has("pixel_values") || inputs.Has("image_grid_thw"))
        {
            pixels = inputs.Float("pixel_values");
            var grid = inputs.Long("image_grid_thw");
            for (var i = 0; i + 2 < grid.Length; i += 3) grids.Add(((int)grid[i], (int)grid[i + 1], (int)grid[i + 2]));
        }
        var modelInputs = new Qwen25VLInputs(ids, mask, pixels, grids);
        var outputs = new Dictionary<string, Tensor>();
        var imageEmbeds = pixels is null ? null : model.EncodeImages(pixels, grids);
        var hidden = options.HiddenStates ? new List<Tensor>() : null;
        var final = model.Forward(modelInputs, imageEmbeds, hidden);
        outputs["logits"] = model.Logits(final);
        if (hidden is not null)
        {
            if (imageEmbeds is not null) outputs["image_embeds"] = imageEmbeds;
            var (positions, _) = model.PositionIds(modelInputs);
            outputs["position_ids"] = Tensor.FromArray(positions, 3, modelInputs.Batch, modelInputs.Length);
            for (var i = 0; i < hidden.Count; i++) outputs[$"hidden_states.{i}"] = hidden[i];
        }
        return new ForwardResult(outputs, []);
    }
}
