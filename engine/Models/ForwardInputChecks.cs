using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;

namespace StyleAlign.Engine.Models;

/// <summary>
/// Checks the inputs of a forward pass against the model's config before any weight is loaded or anything is sized
/// from them: dtypes, ranks and shapes that agree with each other, ids inside the vocabulary, masks of 0 and 1,
/// image grids that tile the pixel rows given. A problem is refused naming the inputs file and the tensor.
/// </summary>
public static class ForwardInputChecks
{
    /// <summary>Tokens one forward pass may take (batch × length): far above a real request, bounded so that a
    /// header cannot claim an activation the machine cannot hold.</summary>
    public const long MaxTokens = 1 << 20;

    public static void CheckQwen(ForwardInputs inputs, Qwen25VLConfig config)
    {
        var (batch, length) = CheckIds(inputs, "input_ids", required: true, config.Text.VocabSize, config.Text.MaxPositionEmbeddings)!.Value;
        CheckMask(inputs, batch, length);
        bool pixels = inputs.Has("pixel_values"), grids = inputs.Has("image_grid_thw");
        if (pixels != grids)
            throw Bad(inputs, pixels ? "image_grid_thw" : "pixel_values", $"is missing: pixel_values and image_grid_thw go together");
        if (!pixels) return;

        var vision = config.Vision;
        long rowLength = 3L * vision.TemporalPatchSize * vision.PatchSize * vision.PatchSize;
        var pixelShape = inputs.EntryShape("pixel_values");
        RequireFloat(inputs, "pixel_values");
        if (pixelShape.Length != 2 || pixelShape[1] != rowLength)
            throw Bad(inputs, "pixel_values", $"has shape {Show(pixelShape)}; expected [N, {rowLength}] (3 × temporal patch × patch²)");
        var gridShape = inputs.EntryShape("image_grid_thw");
        RequireInteger(inputs, "image_grid_thw");
        if (gridShape.Length != 2 || gridShape[1] != 3 || gridShape[0] < 1)
            throw Bad(inputs, "image_grid_thw", $"has shape {Show(gridShape)}; expected [images, 3] (t, h, w per image)");
        if (gridShape[0] > pixelShape[0])
            throw Bad(inputs, "image_grid_thw", $"lists {gridShape[0]} images for {pixelShape[0]} pixel rows");

        var grid = inputs.Long("image_grid_thw");
        long patches = 0, imageTokens = 0, merge = vision.SpatialMergeSize;
        for (int i = 0; i < grid.Length; i += 3)
        {
            long t = grid[i], h = grid[i + 1], w = grid[i + 2];
            if (t < 1 || h < 1 || w < 1 || h % merge != 0 || w % merge != 0 || t > pixelShape[0] || h > pixelShape[0] || w > pixelShape[0])
                throw Bad(inputs, "image_grid_thw", $"image {i / 3} is [{t}, {h}, {w}]; expected positive sizes with h and w multiples of the merge size {merge}, within the {pixelShape[0]} pixel rows");
            patches += t * h * w;
            imageTokens += t * h * w / (merge * merge);
            if (patches > pixelShape[0])
                throw Bad(inputs, "image_grid_thw", $"the grids up to image {i / 3} need {patches} pixel rows, but pixel_values has {pixelShape[0]}");
        }
        if (patches != pixelShape[0])
            throw Bad(inputs, "image_grid_thw", $"the grids need {patches} pixel rows, but pixel_values has {pixelShape[0]}");
        long pads = inputs.Long("input_ids").LongCount(id => id == config.Text.ImageTokenId);
        if (pads != imageTokens)
            throw Bad(inputs, "input_ids", $"holds {pads} image-pad tokens (id {config.Text.ImageTokenId}), but the image grids give {imageTokens} image embeddings");
    }

    public static void CheckClip(ForwardInputs inputs, ClipConfig config)
    {
        if (inputs.Has("pixel_values"))
        {
            RequireFloat(inputs, "pixel_values");
            var shape = inputs.EntryShape("pixel_values");
            int side = config.Vision.ImageSize;
            if (shape.Length != 4 || shape[0] < 1 || shape[1] != 3 || shape[2] != side || shape[3] != side || shape[0] * 3L * side * side > MaxTokens * 1024)
                throw Bad(inputs, "pixel_values", $"has shape {Show(shape)}; expected [B, 3, {side}, {side}]");
        }
        if (CheckIds(inputs, "input_ids", required: false, config.Text.VocabSize, config.Text.MaxPositionEmbeddings) is var (batch, length))
            CheckMask(inputs, batch, length);
        else if (inputs.Has("attention_mask"))
            throw Bad(inputs, "attention_mask", "is given without input_ids");
    }

    /// <summary>An id matrix [B, T] of integers in [0, vocab) with T within the positions; null when absent and optional.</summary>
    private static (long Batch, long Length)? CheckIds(ForwardInputs inputs, string name, bool required, int vocab, int maxPositions)
    {
        if (!inputs.Has(name))
            return required ? throw Bad(inputs, name, "is missing (required)") : null;
        RequireInteger(inputs, name);
        var shape = inputs.EntryShape(name);
        if (shape.Length != 2 || shape[0] < 1 || shape[1] < 1)
            throw Bad(inputs, name, $"has shape {Show(shape)}; expected [B, T] with B, T ≥ 1");
        if (shape[1] > maxPositions)
            throw Bad(inputs, name, $"holds {shape[1]} tokens a row, more than the model's max_position_embeddings {maxPositions}");
        if (shape[0] * shape[1] > MaxTokens)
            throw Bad(inputs, name, $"holds {shape[0] * shape[1]} tokens, more than the {MaxTokens} one forward pass may take");
        var ids = inputs.Long(name);
        int bad = Array.FindIndex(ids, id => id < 0 || id >= vocab);
        if (bad >= 0)
            throw Bad(inputs, name, $"[{bad / shape[1]}, {bad % shape[1]}] = {ids[bad]} is outside the vocabulary [0, {vocab})");
        return (shape[0], shape[1]);
    }

    private static void CheckMask(ForwardInputs inputs, long batch, long length)
    {
        if (!inputs.Has("attention_mask")) return;
        RequireInteger(inputs, "attention_mask");
        var shape = inputs.EntryShape("attention_mask");
        if (shape.Length != 2 || shape[0] != batch || shape[1] != length)
            throw Bad(inputs, "attention_mask", $"has shape {Show(shape)}; expected [{batch}, {length}], the shape of input_ids");
        var mask = inputs.Long("attention_mask");
        int bad = Array.FindIndex(mask, m => m is not (0 or 1));
        if (bad >= 0) throw Bad(inputs, "attention_mask", $"[{bad / length}, {bad % length}] = {mask[bad]}; expected 0 or 1");
        for (long row = 0; row < batch; row++)
            if (mask.AsSpan((int)(row * length), (int)length).IndexOf(1L) < 0)
                throw Bad(inputs, "attention_mask", $"row {row} attends to no token");
    }

    private static void RequireInteger(ForwardInputs inputs, string name)
    {
        var dtype = inputs.EntryDType(name);
        if (dtype.IsFloatingPoint()) throw Bad(inputs, name, $"is {dtype.ToHeaderName()}; expected an integer tensor (I64 or I32)");
    }

    private static void RequireFloat(ForwardInputs inputs, string name)
    {
        var dtype = inputs.EntryDType(name);
        if (!dtype.IsFloatingPoint()) throw Bad(inputs, name, $"is {dtype.ToHeaderName()}; expected a float tensor (F32, F16 or BF16)");
    }

    private static InvalidInputException Bad(ForwardInputs inputs, string name, string problem) => new($"{inputs.Path}: input '{name}' {problem}");

    private static string Show(long[] shape) => $"[{string.Join(", ", shape)}]";
}
