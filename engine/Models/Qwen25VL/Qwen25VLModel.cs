using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Engine.Models.Qwen25VL;

/// <summary>What one forward pass consumes: token ids [B, T], an optional mask, and the batch's images.</summary>
public sealed record Qwen25VLInputs(long[,] InputIds, long[,]? AttentionMask = null, Tensor? PixelValues = null, IReadOnlyList<(int T, int H, int W)>? ImageGrids = null)
{
    public int Batch => InputIds.GetLength(0);

    public int Length => InputIds.GetLength(1);

    public IReadOnlyList<(int T, int H, int W)> Grids => ImageGrids ?? [];
}

/// <summary>
/// Qwen2.5-VL for conditional generation, built from a Hugging Face checkpoint (legacy or new tensor names).
/// The vision output can be computed once and shared by every row that shows the same image.
/// </summary>
public sealed class Qwen25VLModel
{
    private Qwen25VLModel(Qwen25VLConfig config, IParameterSource source)
    {
        Config = config;
        Parameters = new ParameterSet();
        var root = new ParameterBuilder(source, Parameters);
        Visual = new VisionTower(config.Vision, root.Scope("visual"));
        Decoder = new TextDecoder(config.Text, root.Scope("model"));
        LmHead = config.Text.TieWordEmbeddings ? Decoder.EmbedTokens : root.Weight("lm_head.weight", config.Text.VocabSize, config.Text.HiddenSize);
    }

    public Qwen25VLConfig Config { get; }

    public ParameterSet Parameters { get; }

    public VisionTower Visual { get; }

    public TextDecoder Decoder { get; }

    /// <summary>[V, hidden]: the LM head, or the token embedding when tied.</summary>
    public Tensor LmHead { get; }

    public static Qwen25VLModel Create(Qwen25VLConfig config, IParameterSource source) => new(config, source);

    /// <summary>Loads a checkpoint folder (or one .safetensors file with config.json beside it), strictly: the header
    /// is checked against the config and the size against memory before any weight is read.</summary>
    public static Qwen25VLModel Load(string weightsPath, Device? device = null) => Load(weightsPath, new Placement(device ?? Device.Cpu, DType.F32));

    /// <summary>Loads onto the placement's device with the weights stored in its dtype.</summary>
    public static Qwen25VLModel Load(string weightsPath, Placement placement)
    {
        var config = Qwen25VLConfig.Load(ConfigFolder(weightsPath));
        using var checkpoint = SafetensorsCheckpoint.Open(weightsPath);
        return ModelLoading.Load(checkpoint, $"checkpoint '{weightsPath}'", source => new Qwen25VLModel(config, source),
            model => model.Parameters, (model, name) => model.IsIgnorable(name), WeightNames.NormalizeQwen, placement.Device, placement.WeightDType);
    }

    /// <summary>What the checkpoint lacks or holds in excess for the model its config describes, from the header
    /// alone (no weight is read).</summary>
    public static CheckpointMatch Inspect(string weightsPath)
    {
        var config = Qwen25VLConfig.Load(ConfigFolder(weightsPath));
        using var checkpoint = SafetensorsCheckpoint.Open(weightsPath);
        return ModelLoading.Check(checkpoint, $"checkpoint '{weightsPath}'", source => new Qwen25VLModel(config, source),
            model => model.Parameters, (model, name) => model.IsIgnorable(name), WeightNames.NormalizeQwen);
    }

    /// <summary>The folder holding config.json: the weights folder itself, or the folder of a weights file.</summary>
    public static string ConfigFolder(string weightsPath) =>
        Directory.Exists(weightsPath) ? weightsPath : Path.GetDirectoryName(Path.GetFullPath(weightsPath))!;

    /// <summary>A tied checkpoint may still carry lm_head.weight; the reference ignores it.</summary>
    public bool IsIgnorable(string name) => Config.Text.TieWordEmbeddings && name == "lm_head.weight";

    /// <summary>[ΣP/4, hidden] image embeddings for the images of a batch, in input order.</summary>
    public Tensor EncodeImages(Tensor pixelValues, IReadOnlyList<(int T, int H, int W)> grids, VisionTower.Trace? trace = null) =>
        Visual.Forward(pixelValues, grids, trace);

    /// <summary>
    /// Token embeddings with the image embeddings written over the image-pad positions, in (row, position) order.
    /// Generated tokens may happen to be the image-pad id; decoding passes <paramref name="imagePadsAreText"/>.
    /// </summary>
    public Tensor Embed(long[,] inputIds, Tensor? imageEmbeds, bool imagePadsAreText = false)
    {
        var (b, t) = (inputIds.GetLength(0), inputIds.GetLength(1));
        var flatIds = new long[b * t];
        var imagePositions = new List<long>();
        for (var i = 0; i < b; i++)
            for (var j = 0; j < t; j++)
            {
                flatIds[i * t + j] = inputIds[i, j];
                if (!imagePadsAreText && inputIds[i, j] == Config.Text.ImageTokenId) imagePositions.Add(i * t + j);
            }
        var hidden = Config.Text.HiddenSize;
        var embeds = Functional.Embedding(Decoder.EmbedTokens, Tensor.FromArray(flatIds, b * t).To(Decoder.EmbedTokens.Device));
        var imageRows = imageEmbeds?.Shape[0] ?? 0;
        if (imageRows != imagePositions.Count)
            throw new ArgumentException($"the ids hold {imagePositions.Count} image-pad tokens but the images give {imageRows} embeddings");
        if (imageEmbeds is not null && imageRows > 0)
        {
            var index = Tensor.FromArray(imagePositions.ToArray(), imagePositions.Count).To(embeds.Device);
            var scattered = Tensor.Zeros(new Shape(b * t, hidden), embeds.DType, embeds.Device).IndexAdd(0, index, imageEmbeds);
            var isImage = new bool[b * t];
            foreach (var p in imagePositions) isImage[p] = true;
            embeds = Tensor.Where(Tensor.FromArray(isImage, b * t, 1).To(embeds.Device), scattered, embeds);
        }
        return embeds.Reshape(b, t, hidden);
    }

    /// <summary>Position ids [3, B, T] and per-row rope deltas (docs/models.md, "M-RoPE position ids").</summary>
    public (long[] Positions, long[] Deltas) PositionIds(Qwen25VLInputs inputs) =>
        RopeIndex.Compute(inputs.InputIds, inputs.AttentionMask, inputs.Grids, Config.Text.ImageTokenId, Config.Vision.SpatialMergeSize);

    /// <summary>The final-normed hidden states [B, T, hidden]; logits are <see cref="Logits"/> of them.</summary>
    public Tensor Forward(Qwen25VLInputs inputs, Tensor? imageEmbeds = null, List<Tensor>? hiddenStates = null)
    {
        if (imageEmbeds is null && inputs.PixelValues is not null && inputs.Grids.Count > 0)
            imageEmbeds = EncodeImages(inputs.PixelValues, inputs.Grids);
        var x = Embed(inputs.InputIds, imageEmbeds);
        var (positions, _) = PositionIds(inputs);
        var (cos, sin) = RopeTables(positions, inputs.Batch, inputs.Length);
        return Decoder.Forward(x, cos, sin, DecoderMask.FromAttentionMask(inputs.AttentionMask), hiddenStates);
    }

    /// <summary>cos/sin [B, T, D] for position ids [3, B, T], computed in f32 and cast to the activations' dtype (as the
    /// reference casts them before rotating).</summary>
    public (Tensor Cos, Tensor Sin) RopeTables(long[] positions, int batch, int length)
    {
        var (cos, sin) = Functional.MRopeCosSin(Tensor.FromArray(positions, 3, batch, length).To(LmHead.Device), Config.Text.HeadDim, Config.Text.RopeTheta, Config.Text.MropeSection);
        return cos.DType == LmHead.DType ? (cos, sin) : (cos.To(LmHead.DType), sin.To(LmHead.DType));
    }

    /// <summary>An additive attention mask made on the host, moved to the model's device in its activations' dtype.</summary>
    public Tensor PlaceMask(Tensor mask)
    {
        var placed = mask.To(LmHead.Device);
        return placed.DType == LmHead.DType ? placed : placed.To(LmHead.DType);
    }

    /// <summary>hidden [.., hidden] → logits [.., V].</summary>
    public Tensor Logits(Tensor hidden) => Functional.Linear(hidden, LmHead, null);
}
