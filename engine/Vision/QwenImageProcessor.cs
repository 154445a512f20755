using System.Text.Json;
using StyleAlign.Engine.IO.Config;

namespace StyleAlign.Engine.Vision;

/// <summary>Pixels for the Qwen2.5-VL vision tower: <c>PixelValues</c> is [P, C·Tp·14·14] row-major (P = sum of
/// all images' patches, 1176 columns by default) and <c>Grids</c> holds one (t, h, w) per image.</summary>
public sealed record QwenPixels(float[] PixelValues, int Rows, int Columns, IReadOnlyList<ImageGrid> Grids);

/// <summary>Replica of Hugging Face's slow <c>Qwen2VLImageProcessor</c>: smart resize with PIL bicubic, rescale,
/// CLIP normalization, temporal duplication and the 2×2-merge-unit patch order.</summary>
public sealed class QwenImageProcessor
{
    public static readonly float[] ClipMean = [0.48145466f, 0.4578275f, 0.40821073f];
    public static readonly float[] ClipStd = [0.26862954f, 0.26130258f, 0.27577711f];

    public int MinPixels { get; init; } = SmartResize.DefaultMinPixels;
    public int MaxPixels { get; init; } = SmartResize.DefaultMaxPixels;
    public int PatchSize { get; init; } = 14;
    public int TemporalPatchSize { get; init; } = 2;
    public int MergeSize { get; init; } = 2;
    public bool DoResize { get; init; } = true;
    public bool DoRescale { get; init; } = true;
    public bool DoNormalize { get; init; } = true;
    public double RescaleFactor { get; init; } = 1.0 / 255.0;
    public IReadOnlyList<float> Mean { get; init; } = ClipMean;
    public IReadOnlyList<float> Std { get; init; } = ClipStd;

    /// <summary>Columns of one <c>pixel_values</c> row: 3·Tp·patch².</summary>
    public int RowLength => 3 * TemporalPatchSize * PatchSize * PatchSize;

    /// <summary>Reads <c>preprocessor_config.json</c> from a folder or a file path; every problem is listed in one error.</summary>
    public static QwenImageProcessor Load(string folderOrFile)
    {
        var json = ConfigJson.Load(folderOrFile, ProcessorConfig.FileName);
        var defaults = new QwenImageProcessor();
        int maxPixels = (int)ImageDecoder.MaxPixels;
        json.Check(json.KindOf("size") is null or JsonValueKind.Object, "'size' must be an object with shortest_edge / longest_edge");
        var processor = new QwenImageProcessor
        {
            // min_pixels/max_pixels win over size{} as in transformers 4.5x.
            MinPixels = json.IntOr(defaults.MinPixels, 1, maxPixels, "min_pixels", "size.shortest_edge"),
            MaxPixels = json.IntOr(defaults.MaxPixels, 1, maxPixels, "max_pixels", "size.longest_edge"),
            PatchSize = json.IntOr(defaults.PatchSize, 1, ConfigLimits.MaxPatchSize, "patch_size"),
            TemporalPatchSize = json.IntOr(defaults.TemporalPatchSize, 1, ConfigLimits.MaxTemporalPatchSize, "temporal_patch_size"),
            MergeSize = json.IntOr(defaults.MergeSize, 1, ConfigLimits.MaxSpatialMergeSize, "merge_size"),
            DoResize = json.BoolOr(true, "do_resize"),
            DoRescale = json.BoolOr(true, "do_rescale"),
            DoNormalize = json.BoolOr(true, "do_normalize"),
            RescaleFactor = json.PositiveDoubleOr(defaults.RescaleFactor, "rescale_factor"),
            Mean = json.FloatTriple("image_mean") ?? ClipMean,
            Std = json.FloatTriple("image_std") ?? ClipStd,
        };
        json.BoolOr(true, "do_convert_rgb");
        ProcessorConfig.CheckCommon(json, processor.Std);
        json.Check(processor.MinPixels <= processor.MaxPixels,
            $"'min_pixels' = {processor.MinPixels} must not exceed 'max_pixels' = {processor.MaxPixels}");
        json.ThrowIfProblems("Qwen2-VL image processor");
        return processor;
    }

    /// <summary>The processor Qwen2.5-VL ships for a vision tower: its patch, temporal patch and merge sizes, the
    /// default pixel bounds unless <paramref name="maxPixels"/> lowers the upper one.</summary>
    public static QwenImageProcessor For(Qwen25VLVisionConfig vision, int maxPixels = SmartResize.DefaultMaxPixels) => new()
    {
        PatchSize = vision.PatchSize,
        TemporalPatchSize = vision.TemporalPatchSize,
        MergeSize = vision.SpatialMergeSize,
        MaxPixels = maxPixels,
    };

    /// <summary>Writes <c>preprocessor_config.json</c> into <paramref name="folder"/> atomically, with the keys and
    /// processor class names transformers reads for Qwen2.5-VL.</summary>
    public void Save(string folder)
    {
        var values = new Dictionary<string, object>
        {
            ["image_processor_type"] = "Qwen2VLImageProcessor",
            ["processor_class"] = "Qwen2_5_VLProcessor",
            ["do_resize"] = DoResize,
            ["do_rescale"] = DoRescale,
            ["do_normalize"] = DoNormalize,
            ["do_convert_rgb"] = true,
            ["resample"] = 3,
            ["rescale_factor"] = RescaleFactor,
            ["image_mean"] = Mean.ToArray(),
            ["image_std"] = Std.ToArray(),
            ["min_pixels"] = MinPixels,
            ["max_pixels"] = MaxPixels,
            ["patch_size"] = PatchSize,
            ["temporal_patch_size"] = TemporalPatchSize,
            ["merge_size"] = MergeSize,
        };
        IO.AtomicFile.WriteAllText(Path.Combine(folder, ProcessorConfig.FileName),
            JsonSerializer.Serialize(values, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Checks that this processor's patches are the ones the vision tower embeds.</summary>
    /// <param name="modelConfigPath">the model's config.json (or its folder), named in the message</param>
    public void CheckModel(Qwen25VLVisionConfig vision, string modelConfigPath)
    {
        var problems = new List<string>();
        if (PatchSize != vision.PatchSize) problems.Add($"'patch_size' = {PatchSize} but the model's vision_config.patch_size is {vision.PatchSize}");
        if (TemporalPatchSize != vision.TemporalPatchSize)
            problems.Add($"'temporal_patch_size' = {TemporalPatchSize} but the model's vision_config.temporal_patch_size is {vision.TemporalPatchSize}");
        if (MergeSize != vision.SpatialMergeSize)
            problems.Add($"'merge_size' = {MergeSize} but the model's vision_config.spatial_merge_size is {vision.SpatialMergeSize}");
        ProcessorConfig.ThrowIfMismatched(problems, modelConfigPath);
    }

    /// <summary>Size the image is resized to (multiples of patch·merge).</summary>
    public (int Height, int Width) TargetSize(RgbImage image)
    {
        int unit = PatchSize * MergeSize;
        if (!DoResize)
            return image.Height % unit == 0 && image.Width % unit == 0
                ? (image.Height, image.Width)
                : throw new ImageInputException($"{image.Source}: an image of {image.Height}x{image.Width} is not a multiple of {unit} on both sides, and do_resize is false");
        if (SmartResize.Problem(image.Height, image.Width, unit) is { } problem)
            throw new ImageInputException($"{image.Source}: {problem}");
        return SmartResize.Compute(image.Height, image.Width, unit, MinPixels, MaxPixels);
    }

    /// <summary>Size an image of this size is resized to (multiples of patch·merge).</summary>
    public (int Height, int Width) TargetSize(int height, int width) =>
        DoResize ? SmartResize.Compute(height, width, PatchSize * MergeSize, MinPixels, MaxPixels) : (height, width);

    public RgbImage Resize(RgbImage image)
    {
        var (h, w) = TargetSize(image);
        return PillowResize.Bicubic(image, h, w);
    }

    public QwenPixels Process(RgbImage image) => Process([image]);

    /// <summary>All images' patches concatenated in order, as the HF processor batches them.</summary>
    public QwenPixels Process(IReadOnlyList<RgbImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var parts = new List<float[]>(images.Count);
        var grids = new List<ImageGrid>(images.Count);
        foreach (var image in images)
        {
            var resized = Resize(image);
            float[] chw = Normalize(resized);
            var (values, grid) = Patchify(chw, resized.Height, resized.Width);
            parts.Add(values);
            grids.Add(grid);
        }
        var all = new float[parts.Sum(p => p.Length)];
        int offset = 0;
        foreach (var p in parts)
        {
            p.CopyTo(all, offset);
            offset += p.Length;
        }
        return new QwenPixels(all, all.Length / RowLength, RowLength, grids);
    }

    /// <summary>Rescale (float64 product rounded to float32) then per-channel (v − mean)/std in float32, HWC→CHW.</summary>
    public float[] Normalize(RgbImage image)
    {
        int plane = image.Height * image.Width;
        var chw = new float[3 * plane];
        byte[] px = image.Pixels;
        for (int c = 0; c < 3; c++)
        {
            float mean = Mean[c], std = Std[c];
            for (int i = 0; i < plane; i++)
            {
                byte u8 = px[i * 3 + c];
                float v = DoRescale ? (float)(u8 * RescaleFactor) : u8;
                chw[c * plane + i] = DoNormalize ? (v - mean) / std : v;
            }
        }
        return chw;
    }

    /// <summary>CHW planes → [gt·gh·gw, 3·Tp·patch²] in HF's order: rows are 2×2 merge units in raster order
    /// (four rows each), columns are [channel][temporal][patch row][patch column].</summary>
    public (T[] Values, ImageGrid Grid) Patchify<T>(T[] chw, int height, int width)
    {
        int p = PatchSize, m = MergeSize, tp = TemporalPatchSize, unit = p * m;
        if (height % unit != 0 || width % unit != 0)
            throw new ArgumentException($"Image of {height}x{width} is not a multiple of {unit} on both sides.");
        if (chw.Length != 3 * height * width)
            throw new ArgumentException($"CHW buffer holds {chw.Length} values; 3x{height}x{width} expected.");
        int gh = height / p, gw = width / p, plane = height * width, rowLength = 3 * tp * p * p;
        var output = new T[gh * gw * rowLength];
        int row = 0;
        for (int bh = 0; bh < gh / m; bh++)
        for (int bw = 0; bw < gw / m; bw++)
        for (int mh = 0; mh < m; mh++)
        for (int mw = 0; mw < m; mw++, row++)
        {
            int y0 = (bh * m + mh) * p, x0 = (bw * m + mw) * p, k = row * rowLength;
            for (int c = 0; c < 3; c++)
            for (int t = 0; t < tp; t++) // a still image is its own temporal neighbour
            for (int py = 0; py < p; py++)
            {
                Array.Copy(chw, c * plane + (y0 + py) * width + x0, output, k, p);
                k += p;
            }
        }
        return (output, new ImageGrid(1, gh, gw));
    }

    /// <summary>Resize + patchify of the raw bytes, skipping rescale and normalization (HF's
    /// <c>do_rescale=False, do_normalize=False</c>), which isolates the geometry.</summary>
    public (byte[] Values, ImageGrid Grid) PatchifyBytes(RgbImage resized)
    {
        int plane = resized.Height * resized.Width;
        var chw = new byte[3 * plane];
        for (int i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++)
            chw[c * plane + i] = resized.Pixels[i * 3 + c];
        return Patchify(chw, resized.Height, resized.Width);
    }
}
