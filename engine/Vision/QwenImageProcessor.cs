using System.Text.Json;

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

    /// <summary>Reads <c>preprocessor_config.json</c> from a folder or a file path.</summary>
    public static QwenImageProcessor Load(string folderOrFile)
    {
        string path = Directory.Exists(folderOrFile) ? Path.Combine(folderOrFile, "preprocessor_config.json") : folderOrFile;
        if (!File.Exists(path))
            throw new FileNotFoundException($"Image processor config not found: '{path}'.", path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        int? sizeMin = null, sizeMax = null;
        if (root.TryGetProperty("size", out var size) && size.ValueKind == JsonValueKind.Object)
        {
            if (size.TryGetProperty("shortest_edge", out var se)) sizeMin = se.GetInt32();
            if (size.TryGetProperty("longest_edge", out var le)) sizeMax = le.GetInt32();
        }
        var defaults = new QwenImageProcessor();
        var processor = new QwenImageProcessor
        {
            // min_pixels/max_pixels win over size{} as in transformers 4.5x.
            MinPixels = JsonConfig.Int(root, "min_pixels", path) ?? sizeMin ?? defaults.MinPixels,
            MaxPixels = JsonConfig.Int(root, "max_pixels", path) ?? sizeMax ?? defaults.MaxPixels,
            PatchSize = JsonConfig.Int(root, "patch_size", path) ?? defaults.PatchSize,
            TemporalPatchSize = JsonConfig.Int(root, "temporal_patch_size", path) ?? defaults.TemporalPatchSize,
            MergeSize = JsonConfig.Int(root, "merge_size", path) ?? defaults.MergeSize,
            DoResize = JsonConfig.Bool(root, "do_resize", path) ?? true,
            DoRescale = JsonConfig.Bool(root, "do_rescale", path) ?? true,
            DoNormalize = JsonConfig.Bool(root, "do_normalize", path) ?? true,
            RescaleFactor = JsonConfig.Double(root, "rescale_factor", path) ?? defaults.RescaleFactor,
            Mean = JsonConfig.FloatTriple(root, "image_mean", path) ?? ClipMean,
            Std = JsonConfig.FloatTriple(root, "image_std", path) ?? ClipStd,
        };
        if (JsonConfig.Int(root, "resample", path) is int resample && resample != 3)
            throw new NotSupportedException($"'{path}': resample={resample}; only 3 (bicubic) is implemented.");
        return processor;
    }

    /// <summary>Size the image is resized to (multiples of patch·merge).</summary>
    public (int Height, int Width) TargetSize(int height, int width) =>
        DoResize ? SmartResize.Compute(height, width, PatchSize * MergeSize, MinPixels, MaxPixels) : (height, width);

    public RgbImage Resize(RgbImage image)
    {
        var (h, w) = TargetSize(image.Height, image.Width);
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
