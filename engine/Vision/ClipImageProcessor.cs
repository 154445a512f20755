using System.Text.Json;
using StyleAlign.Engine.IO.Config;

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

    /// <summary>Reads <c>preprocessor_config.json</c> from a folder or a file path; every problem is listed in one error.</summary>
    public static ClipImageProcessor Load(string folderOrFile)
    {
        var json = ConfigJson.Load(folderOrFile, ProcessorConfig.FileName);
        var d = new ClipImageProcessor();
        int side = ConfigLimits.MaxImageSide;
        // size and crop_size are a number or an object; only the shortest-edge resize is implemented.
        json.Check(json.KindOf("size") is null or JsonValueKind.Number || json.Has("size.shortest_edge"),
            "'size' must be a number or an object with shortest_edge (a fixed height/width resize is not implemented)");
        int shortest = json.IntOr(d.ShortestEdge, 1, side, "size.shortest_edge", json.KindOf("size") == JsonValueKind.Number ? "size" : "size.shortest_edge");
        json.Check(json.KindOf("crop_size") is null or JsonValueKind.Number or JsonValueKind.Object, "'crop_size' must be a number or an object with height and width");
        bool squareCrop = json.KindOf("crop_size") == JsonValueKind.Number;
        int cropHeight = json.IntOr(d.CropHeight, 1, side, squareCrop ? "crop_size" : "crop_size.height");
        int cropWidth = json.IntOr(d.CropWidth, 1, side, squareCrop ? "crop_size" : "crop_size.width");
        json.RequireBoolIfPresent(true, "skipping this step is not implemented", "do_resize", "do_center_crop", "do_rescale", "do_normalize");
        json.BoolOr(true, "do_convert_rgb");
        var processor = new ClipImageProcessor
        {
            ShortestEdge = shortest,
            CropHeight = cropHeight,
            CropWidth = cropWidth,
            RescaleFactor = json.PositiveDoubleOr(d.RescaleFactor, "rescale_factor"),
            Mean = json.FloatTriple("image_mean") ?? QwenImageProcessor.ClipMean,
            Std = json.FloatTriple("image_std") ?? QwenImageProcessor.ClipStd,
        };
        ProcessorConfig.CheckCommon(json, processor.Std);
        json.ThrowIfProblems("CLIP image processor");
        return processor;
    }

    /// <summary>Checks that the crop is the image size the vision tower was built for.</summary>
    /// <param name="modelConfigPath">the model's config.json (or its folder), named in the message</param>
    public void CheckModel(ClipVisionConfig vision, string modelConfigPath)
    {
        var problems = new List<string>();
        if (CropHeight != vision.ImageSize || CropWidth != vision.ImageSize)
            problems.Add($"'crop_size' = {CropHeight}x{CropWidth} but the model's vision_config.image_size is {vision.ImageSize}");
        ProcessorConfig.ThrowIfMismatched(problems, modelConfigPath);
    }

    /// <summary>Resized size before cropping; the long side is truncated, not rounded (HF's
    /// get_resize_output_image_size with default_to_square=False).</summary>
    public (int Height, int Width) ResizedSize(int height, int width) =>
        width <= height
            ? ((int)Math.Min(int.MaxValue, (long)ShortestEdge * height / width), ShortestEdge)
            : (ShortestEdge, (int)Math.Min(int.MaxValue, (long)ShortestEdge * width / height));

    /// <summary>[3, CropHeight, CropWidth] float32, channel-major.</summary>
    public float[] Process(RgbImage image)
    {
        var (h, w) = ResizedSize(image.Height, image.Width);
        if ((long)h * w > ImageDecoder.MaxPixels)
            throw new ImageInputException(
                $"{image.Source}: an image of {image.Height}x{image.Width} would be resized to {h}x{w} before cropping, more than {ImageDecoder.MaxPixels:N0} pixels (its aspect ratio is too extreme)");
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
