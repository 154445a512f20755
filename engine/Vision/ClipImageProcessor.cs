using System.Text.Json;

namespace StyleAlign.Engine.Vision;

/// <summary>Replica of Hugging Face's <c>CLIPImageProcessor</c>: shortest side to <see cref="ShortestEdge"/> with PIL
/// bicubic, center crop, rescale, normalize; output is float32 CHW [3, crop, crop].</summary>
public sealed class ClipImageProcessor
{
    public int ShortestEdge { get; init; } = 224;
    public int CropHeight { get; init; } = 224;
    public int CropWidth { get; init; } = 224;
    public double RescaleFactor { get; init; } = 1.0 / 255.0;
    public IReadOnlyList<float> Mean { get; init; } = QwenImageProcessor.ClipMean;
    public IReadOnlyList<float> Std { get; init; } = QwenImageProcessor.ClipStd;

    /// <summary>Reads <c>preprocessor_config.json</c> from a folder or a file path.</summary>
    public static ClipImageProcessor Load(string folderOrFile)
    {
        string path = Directory.Exists(folderOrFile) ? Path.Combine(folderOrFile, "preprocessor_config.json") : folderOrFile;
        if (!File.Exists(path))
            throw new FileNotFoundException($"Image processor config not found: '{path}'.", path);
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        var d = new ClipImageProcessor();
        int shortest = d.ShortestEdge, cropH = d.CropHeight, cropW = d.CropWidth;
        if (root.TryGetProperty("size", out var size))
        {
            if (size.ValueKind == JsonValueKind.Number) shortest = size.GetInt32();
            else if (size.TryGetProperty("shortest_edge", out var se)) shortest = se.GetInt32();
        }
        if (root.TryGetProperty("crop_size", out var crop))
        {
            if (crop.ValueKind == JsonValueKind.Number) cropH = cropW = crop.GetInt32();
            else
            {
                cropH = crop.TryGetProperty("height", out var ch) ? ch.GetInt32() : cropH;
                cropW = crop.TryGetProperty("width", out var cw) ? cw.GetInt32() : cropW;
            }
        }
        if (JsonConfig.Int(root, "resample", path) is int resample && resample != 3)
            throw new NotSupportedException($"'{path}': resample={resample}; only 3 (bicubic) is implemented.");
        return new ClipImageProcessor
        {
            ShortestEdge = shortest,
            CropHeight = cropH,
            CropWidth = cropW,
            RescaleFactor = JsonConfig.Double(root, "rescale_factor", path) ?? d.RescaleFactor,
            Mean = JsonConfig.FloatTriple(root, "image_mean", path) ?? QwenImageProcessor.ClipMean,
            Std = JsonConfig.FloatTriple(root, "image_std", path) ?? QwenImageProcessor.ClipStd,
        };
    }

    /// <summary>Resized size before cropping; the long side is truncated, not rounded (HF's
    /// get_resize_output_image_size with default_to_square=False).</summary>
    public (int Height, int Width) ResizedSize(int height, int width) =>
        width <= height
            ? ((int)((long)ShortestEdge * height / width), ShortestEdge)
            : (ShortestEdge, (int)((long)ShortestEdge * width / height));

    /// <summary>[3, CropHeight, CropWidth] float32, channel-major.</summary>
    public float[] Process(RgbImage image)
    {
        var (h, w) = ResizedSize(image.Height, image.Width);
        var resized = PillowResize.Bicubic(image, h, w);
        var cropped = CenterCrop(resized, CropHeight, CropWidth);
        int plane = CropHeight * CropWidth;
        var chw = new float[3 * plane];
        for (int c = 0; c < 3; c++)
        {
            float mean = Mean[c], std = Std[c];
            for (int i = 0; i < plane; i++)
                chw[c * plane + i] = ((float)(cropped.Pixels[i * 3 + c] * RescaleFactor) - mean) / std;
        }
        return chw;
    }

    /// <summary>HF center_crop: top = (H − h) // 2, left = (W − w) // 2. After the shortest-side resize the image
    /// is never smaller than a crop no larger than <see cref="ShortestEdge"/>; a smaller image is zero-padded
    /// (HF pads first, which can place the image one pixel differently).</summary>
    public static RgbImage CenterCrop(RgbImage image, int cropHeight, int cropWidth)
    {
        var output = new byte[cropHeight * cropWidth * 3];
        int top = FloorDiv(image.Height - cropHeight, 2), left = FloorDiv(image.Width - cropWidth, 2);
        for (int y = 0; y < cropHeight; y++)
        {
            int sy = y + top;
            if (sy < 0 || sy >= image.Height)
                continue;
            for (int x = 0; x < cropWidth; x++)
            {
                int sx = x + left;
                if (sx < 0 || sx >= image.Width)
                    continue;
                Array.Copy(image.Pixels, (sy * image.Width + sx) * 3, output, (y * cropWidth + x) * 3, 3);
            }
        }
        return new RgbImage(output, cropHeight, cropWidth);
    }

    private static int FloorDiv(int a, int b) => (int)Math.Floor((double)a / b);
}
