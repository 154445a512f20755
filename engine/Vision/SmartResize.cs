namespace StyleAlign.Engine.Vision;

/// <summary>Qwen2-VL's choice of the resized image size: both sides multiples of <c>factor</c>, pixel count in
/// [minPixels, maxPixels], aspect ratio kept as well as possible.</summary>
public static class SmartResize
{
    /// <summary>Pixel bounds of the Qwen2.5-VL model repositories' preprocessor_config.json.</summary>
    public const int DefaultMinPixels = 56 * 56;
    public const int DefaultMaxPixels = 16384 * 28 * 28;
    public const double MaxAspectRatio = 200;

    /// <summary>Why an image of this size cannot be resized (as the reference processor refuses it), or null.</summary>
    public static string? Problem(int height, int width, int factor)
    {
        if (height < factor || width < factor)
            return $"an image of {height}x{width} is smaller than the resize factor {factor} on a side";
        if ((double)Math.Max(height, width) / Math.Min(height, width) > MaxAspectRatio)
            return $"an image of {height}x{width} has an aspect ratio above {MaxAspectRatio}, which the processor refuses";
        return null;
    }

    public static (int Height, int Width) Compute(
        int height, int width, int factor = 28, int minPixels = DefaultMinPixels, int maxPixels = DefaultMaxPixels)
    {
        if (factor <= 0)
            throw new ArgumentOutOfRangeException(nameof(factor), $"factor must be positive, got {factor}.");
        if (Problem(height, width, factor) is { } problem)
            throw new ArgumentException(char.ToUpperInvariant(problem[0]) + problem[1..] + ".");

        // Math.Round defaults to ties-to-even, the same as Python's round(): 70/28 = 2.5 rounds to 2.
        int resizedH = (int)Math.Round((double)height / factor) * factor;
        int resizedW = (int)Math.Round((double)width / factor) * factor;
        if ((long)resizedH * resizedW > maxPixels)
        {
            double beta = Math.Sqrt((double)height * width / maxPixels);
            resizedH = (int)Math.Floor(height / beta / factor) * factor;
            resizedW = (int)Math.Floor(width / beta / factor) * factor;
        }
        else if ((long)resizedH * resizedW < minPixels)
        {
            double beta = Math.Sqrt((double)minPixels / ((double)height * width));
            resizedH = (int)Math.Ceiling(height * beta / factor) * factor;
            resizedW = (int)Math.Ceiling(width * beta / factor) * factor;
        }
        // A side can only reach 0 for extreme aspect ratios under a tiny cap; keep one merge unit.
        return (Math.Max(factor, resizedH), Math.Max(factor, resizedW));
    }
}
