using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.IO.Tokenizers;
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
    /// is checked against the config and the size against memory before any weight is read. On the CPU, weights that
    /// <paramref name="weights"/> does not name as trained stay in the mapped checkpoint, bf16 matrices as bf16 (every
    /// matrix of this model feeds a matmul or the embedding lookup); see <see cref="WeightOptions"/>. The config's
    /// special-token ids are checked against <paramref name="tokenizer"/>, or against the tokenizer in the config's
    /// folder when none is given and one is there, before any weight is read.</summary>
    public static Qwen25VLModel Load(string weightsPath, Device? device = null, WeightOptions? weights = null, QwenTokenizer? tokenizer = null) =>
        Load(weightsPath, new Placement(device ?? Device.Cpu, DType.F32), weights, tokenizer);

    /// <summary>
    /// Loads onto the placement's device. A bf16 placement on the CPU holds frozen matrices as bf16 and computes in f32
    /// (<see cref="WeightOptions.Bf16"/>); on a GPU every frozen weight is stored in the placement's dtype and the
    /// activations follow it. Trained weights stay f32 either way.
    /// </summary>
    public static Qwen25VLModel Load(string weightsPath, Placement placement, WeightOptions? weights = null, QwenTokenizer? tokenizer = null)
    {
        var configFolder = ConfigFolder(weightsPath);
        var config = Qwen25VLConfig.Load(configFolder);
        tokenizer ??= QwenTokenizer.IsPresentIn(configFolder) ? QwenTokenizer.Load(configFolder) : null;
        if (tokenizer is not null) config.CheckTokenizer(tokenizer, Path.Combine(configFolder, "config.json"));
        weights ??= WeightOptions.Frozen;
        if (placement.Device.IsCpu && placement.WeightDType == DType.BF16) weights = weights with { Bf16 = true };
        using var checkpoint = SafetensorsCheckpoint.Open(weightsPath);
        return ModelLoading.Load(checkpoint, $"checkpoint '{weightsPath}'", source => new Qwen25VLModel(config, source),
            model => model.Parameters, (model, name) => model.IsIgnorable(name), WeightNames.NormalizeQwen, placement.Device,
            weights, bf16Matrices: true, dtype: placement.Device.IsCpu ? DType.F32 : placement.WeightDType);
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
    public static string ConfigFolder(string weightsPath) => WeightsPath.ConfigFolder(weightsPath);

    /// <summary>A tied checkpoint may still carry lm_head.weight; the reference ignores it.</summary>
    public bool IsIgnorable(string name) => Config.Text.TieWordEmbeddings && name == "lm_head.weight";

    /// <summary>
    /// [ΣP/4, hidden] image embeddings for the images of a batch, in input order. A frozen tower (no vision parameter
    /// and no pixel requires grad) runs without recording, one block's activations at a time.
    /// </summary>
    public Tensor EncodeImages(Tensor pixelValues, IReadOnlyList<(int T, int H, int W)> grids, VisionTower.Trace? trace = null)
    {
        if (GradMode.IsEnabled && (pixelValues.RequiresGrad || VisionTrainable)) return Visual.Forward(pixelValues, grids, trace);
        using var noGrad = GradMode.NoGrad();
        return Visual.Forward(pixelValues, grids, trace);
    }

    /// <summary>True when some vision parameter requires grad (full fine-tuning with the tower trained).</summary>
    public bool VisionTrainable => Parameters.All.Any(p => p.Value.RequiresGrad && p.Key.StartsWith("visual.", StringComparison.Ordinal));

    /// <summary>
    /// Token embeddings with the image embeddings written over the image-pad positions, in (row, position) order.
    /// Generated tokens may happen to be the image-pad id; decoding passes <paramref name="imagePadsAreText"/>.
    /// </summary>
    public Tensor Embed(long[,] inputIds, Tensor? imageEmbeds, bool imagePadsAreText = false)
    {
        var (b, t) = (inputIds.GetLength(0), inputIds.GetLength(1));
        var flatIds = new long[b * t];
        for (var i = 0; i < b; i++)
            for (var j = 0; j < t; j++) flatIds[i * t + j] = inputIds[i, j];
        return Embed(flatIds, imageEmbeds, imagePadsAreText).Reshape(b, t, Config.Text.HiddenSize);
    }

    /// <summary>[N, hidden] embeddings of flat token ids, the image embeddings over the image pads in order.</summary>
    public Tensor Embed(long[] ids, Tensor? imageEmbeds, bool imagePadsAreText = false)
    {
        var n = ids.Length;
        var imagePositions = new List<long>();
        if (!imagePadsAreText)
            for (var i = 0; i < n; i++)
                if (ids[i] == Config.Text.ImageTokenId) imagePositions.Add(i);
        var embeds = Functional.Embedding(Decoder.EmbedTokens, Tensor.FromArray(ids, n).To(Decoder.EmbedTokens.Device));
        var imageRows = imageEmbeds?.Shape[0] ?? 0;
        if (imageRows != imagePositions.Count)
            throw new ArgumentException($"the ids hold {imagePositions.Count} image-pad tokens but the images give {imageRows} embeddings");
        if (imageEmbeds is null || imageRows == 0) return embeds;
        var index = Tensor.FromArray(imagePositions.ToArray(), imagePositions.Count).To(embeds.Device);
        var scattered = Tensor.Zeros(new Shape(n, Config.Text.HiddenSize), embeds.DType, embeds.Device).IndexAdd(0, index, imageEmbeds);
        var isImage = new bool[n];
        foreach (var p in imagePositions) isImage[p] = true;
        return Tensor.Where(Tensor.FromArray(isImage, n, 1).To(embeds.Device), scattered, embeds);
    }

    /// <summary>Position ids [3, B, T] and per-row rope deltas (docs/models.md, "M-RoPE position ids").</summary>
    public (long[] Positions, long[] Deltas) PositionIds(Qwen25VLInputs inputs) =>
        RopeIndex.Compute(inputs.InputIds, inputs.AttentionMask, inputs.Grids, Config.Text.ImageTokenId, Config.Vision.SpatialMergeSize);

    /// <summary>Lays sequence groups end to end for <see cref="ForwardPacked"/>; grids are the images' in packed order.</summary>
    public PackedSequences Pack(IReadOnlyList<SequenceGroup> groups, IReadOnlyList<(int T, int H, int W)> grids) =>
        PackedSequences.Build(groups, grids, Config.Text.ImageTokenId, Config.Vision.SpatialMergeSize);

    /// <summary>
    /// The final-normed hidden states [B, T, hidden] of a padded batch (zeros at padded positions); logits are
    /// <see cref="Logits"/> of them. The rows run packed, as <see cref="ForwardPacked"/> does.
    /// </summary>
    public Tensor Forward(Qwen25VLInputs inputs, Tensor? imageEmbeds = null, List<Tensor>? hiddenStates = null)
    {
        if (imageEmbeds is null && inputs.PixelValues is not null && inputs.Grids.Count > 0)
            imageEmbeds = EncodeImages(inputs.PixelValues, inputs.Grids);
        var packed = PackedSequences.FromPadded(inputs.InputIds, inputs.AttentionMask, inputs.Grids, Config.Text.ImageTokenId, Config.Vision.SpatialMergeSize);
        var paddedRows = PaddedRows(inputs);
        var packedStates = hiddenStates is null ? null : new List<Tensor>();
        var hidden = ForwardPacked(packed, imageEmbeds, packedStates);
        if (packedStates is not null)
            foreach (var state in packedStates) hiddenStates!.Add(Unpad(state, paddedRows, inputs));
        return Unpad(hidden, paddedRows, inputs);
    }

    /// <summary>
    /// The final-normed hidden states [T, hidden] of packed sequences: the training and scoring path. Image
    /// embeddings go over the image pads in packed order.
    /// </summary>
    public Tensor ForwardPacked(PackedSequences packed, Tensor? imageEmbeds, List<Tensor>? hiddenStates = null)
    {
        var x = Embed(packed.InputIds, imageEmbeds);
        var tokens = packed.TokenCount;
        var (cos, sin) = RopeTables(packed.Positions, 1, tokens);
        return Decoder.ForwardPacked(x, cos.Reshape(tokens, -1), sin.Reshape(tokens, -1), packed.Segments, hiddenStates);
    }

    /// <summary>cos/sin [B, T, D] for position ids [3, B, T], computed in f32 and cast to the activations' dtype (as the
    /// reference casts them before rotating).</summary>
    public (Tensor Cos, Tensor Sin) RopeTables(long[] positions, int batch, int length)
    {
        var (cos, sin) = Functional.MRopeCosSin(Tensor.FromArray(positions, 3, batch, length).To(LmHead.Device), Config.Text.HeadDim, Config.Text.RopeTheta, Config.Text.MropeSection);
        return cos.DType == ActivationDType ? (cos, sin) : (cos.To(ActivationDType), sin.To(ActivationDType));
    }

    /// <summary>
    /// The dtype activations flow in: f32 on the CPU, whose bf16 mode keeps bf16 weights only as GEMM operands
    /// (docs/models.md, "Numerics"); on a GPU, the weights' dtype.
    /// </summary>
    public DType ActivationDType => LmHead.Device.IsCpu ? DType.F32 : LmHead.DType;

    /// <summary>An additive attention mask made on the host, moved to the model's device in its activations' dtype.</summary>
    public Tensor PlaceMask(Tensor mask)
    {
        var placed = mask.To(LmHead.Device);
        return placed.DType == ActivationDType ? placed : placed.To(ActivationDType);
    }

    /// <summary>hidden [.., hidden] → logits [.., V].</summary>
    public Tensor Logits(Tensor hidden) => Functional.Linear(hidden, LmHead, null);

    /// <summary>The flat padded index b·T + t of each packed token of a padded batch (rows in order, real tokens only).</summary>
    private static int[] PaddedRows(Qwen25VLInputs inputs)
    {
        var rows = new List<int>(inputs.Batch * inputs.Length);
        for (var b = 0; b < inputs.Batch; b++)
            for (var t = 0; t < inputs.Length; t++)
                if (inputs.AttentionMask is null || inputs.AttentionMask[b, t] != 0) rows.Add(b * inputs.Length + t);
        return [.. rows];
    }

    /// <summary>Packed [T, C] back to [B, T, C]: zeros at padded positions; a batch without padding is a reshape.</summary>
    private static Tensor Unpad(Tensor packed, int[] paddedRows, Qwen25VLInputs inputs)
    {
        var slots = inputs.Batch * inputs.Length;
        var unpadded = paddedRows.Length == slots ? packed : TokenRowsOp.Unpack(packed, paddedRows, slots);
        return unpadded.Reshape(inputs.Batch, inputs.Length, -1);
    }
}
