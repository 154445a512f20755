namespace StyleAlign.Engine.Vision;

/// <summary>An 8-bit RGB image stored row-major as H×W×3 bytes (HWC).</summary>
public sealed class RgbImage
{
    public RgbImage(byte[] pixels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (height <= 0 || width <= 0)
            throw new ArgumentOutOfRangeException(nameof(height), $"Image size must be positive, got {height}x{width}.");
        if (pixels.Length != checked(height * width * 3))
            throw new ArgumentException(
                $"RGB buffer holds {pixels.Length} bytes; a {height}x{width} image needs {height * width * 3}.", nameof(pixels));
        Pixels = pixels;
        Height = height;
        Width = width;
    }

    /// <summary>[H, W, 3] bytes, row-major.</summary>
    public byte[] Pixels { get; }

    public int Height { get; }

    public int Width { get; }

    /// <summary>Where the image came from (a file path), named in errors about it.</summary>
    public string Source { get; init; } = "image";

    public byte this[int y, int x, int channel] => Pixels[(y * Width + x) * 3 + channel];
}

/// <summary>Grid of one image in 14-px patches: T temporal × H rows × W columns (images have T = 1).</summary>
public readonly record struct ImageGrid(int T, int H, int W)
{
    public int PatchCount => T * H * W;

    /// <summary>Number of LLM tokens (<c>&lt;|image_pad|&gt;</c>) after the spatial merge: t·h·w / merge².</summary>
    public int LlmTokenCount(int mergeSize = 2) => PatchCount / (mergeSize * mergeSize);
}
