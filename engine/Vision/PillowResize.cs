namespace StyleAlign.Engine.Vision;

/// <summary>Bit-exact replica of Pillow's (9.x–11.x) BICUBIC <c>Image.resize</c> for 8-bit RGB.</summary>
/// <remarks>
/// Hugging Face's Qwen2-VL and CLIP image processors resize with PIL, and any other resampler differs by one or
/// two levels per pixel. Pillow filters separably: horizontal pass first into an 8-bit intermediate image, then
/// the vertical pass, each with fixed-point (22 fractional bits) weights. When downscaling the kernel is
/// stretched by the scale factor, which is Pillow's antialiasing.
/// </remarks>
public static class PillowResize
{
    private const int PrecisionBits = 32 - 8 - 2;
    private const double BicubicSupport = 2.0;
    private const double KeysA = -0.5;

    /// <summary>Resizes an H×W×3 image to newH×newW×3.</summary>
    public static byte[] Bicubic(byte[] rgb, int height, int width, int newHeight, int newWidth)
    {
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.Length != checked(height * width * 3))
            throw new ArgumentException($"RGB buffer holds {rgb.Length} bytes; {height}x{width}x3 expected.", nameof(rgb));
        if (newHeight <= 0 || newWidth <= 0)
            throw new ArgumentOutOfRangeException(nameof(newHeight), $"Target size must be positive, got {newHeight}x{newWidth}.");

        if (newHeight == height && newWidth == width)
            return (byte[])rgb.Clone();

        var vertical = Coefficients.Compute(height, newHeight);
        byte[] source = rgb;
        int sourceHeight = height;
        int firstRow = 0;
        if (newWidth != width)
        {
            // Only the rows the vertical pass reads are filtered horizontally, as Pillow does; this changes
            // nothing numerically but keeps the intermediate small.
            firstRow = vertical.Bounds[0];
            int lastRow = vertical.Bounds[2 * (newHeight - 1)] + vertical.Bounds[2 * (newHeight - 1) + 1];
            var horizontal = Coefficients.Compute(width, newWidth);
            source = ResampleHorizontal(rgb, width, firstRow, lastRow - firstRow, newWidth, horizontal);
            sourceHeight = lastRow - firstRow;
            width = newWidth;
        }
        if (newHeight == height)
            return source;
        return ResampleVertical(source, width, sourceHeight, firstRow, newHeight, vertical);
    }

    public static RgbImage Bicubic(RgbImage image, int newHeight, int newWidth) =>
        new(Bicubic(image.Pixels, image.Height, image.Width, newHeight, newWidth), newHeight, newWidth);

    private static byte[] ResampleHorizontal(
        byte[] input, int inWidth, int firstRow, int rowCount, int outWidth, Coefficients c)
    {
        var output = new byte[rowCount * outWidth * 3];
        for (int y = 0; y < rowCount; y++)
        {
            int inRow = (y + firstRow) * inWidth * 3;
            int outRow = y * outWidth * 3;
            for (int xx = 0; xx < outWidth; xx++)
            {
                int xmin = c.Bounds[2 * xx], count = c.Bounds[2 * xx + 1], k = xx * c.KernelSize;
                int s0 = 1 << (PrecisionBits - 1), s1 = s0, s2 = s0;
                for (int x = 0; x < count; x++)
                {
                    int w = c.Weights[k + x];
                    int p = inRow + (xmin + x) * 3;
                    s0 += input[p] * w;
                    s1 += input[p + 1] * w;
                    s2 += input[p + 2] * w;
                }
                output[outRow + xx * 3] = Clip8(s0);
                output[outRow + xx * 3 + 1] = Clip8(s1);
                output[outRow + xx * 3 + 2] = Clip8(s2);
            }
        }
        return output;
    }

    /// <param name="rowOffset">Source row index of <paramref name="input"/>'s first row.</param>
    private static byte[] ResampleVertical(
        byte[] input, int width, int inHeight, int rowOffset, int outHeight, Coefficients c)
    {
        var output = new byte[outHeight * width * 3];
        int stride = width * 3;
        for (int yy = 0; yy < outHeight; yy++)
        {
            int ymin = c.Bounds[2 * yy] - rowOffset, count = c.Bounds[2 * yy + 1], k = yy * c.KernelSize;
            if (ymin < 0 || ymin + count > inHeight)
                throw new InvalidOperationException("Vertical filter window falls outside the intermediate image.");
            for (int i = 0; i < stride; i++)
            {
                int s = 1 << (PrecisionBits - 1);
                for (int y = 0; y < count; y++)
                    s += input[(ymin + y) * stride + i] * c.Weights[k + y];
                output[yy * stride + i] = Clip8(s);
            }
        }
        return output;
    }

    private static byte Clip8(int acc)
    {
        if (acc >= 1 << PrecisionBits << 8)
            return 255;
        if (acc <= 0)
            return 0;
        return (byte)(acc >> PrecisionBits);
    }

    private static double Keys(double x)
    {
        if (x < 0)
            x = -x;
        if (x < 1)
            return ((KeysA + 2) * x - (KeysA + 3)) * x * x + 1;
        if (x < 2)
            return (((x - 5) * x + 8) * x - 4) * KeysA;
        return 0;
    }

    /// <summary>Per output index: first input index, tap count and fixed-point weights (Pillow's
    /// precompute_coeffs + normalize_coeffs_8bpc).</summary>
    private sealed class Coefficients
    {
        public required int KernelSize { get; init; }
        public required int[] Bounds { get; init; }
        public required int[] Weights { get; init; }

        public static Coefficients Compute(int inSize, int outSize)
        {
            double scale = (double)inSize / outSize;
            double filterScale = Math.Max(scale, 1.0);
            double support = BicubicSupport * filterScale;
            int kernelSize = (int)Math.Ceiling(support) * 2 + 1;
            var bounds = new int[outSize * 2];
            var weights = new int[outSize * kernelSize];
            var taps = new double[kernelSize];
            for (int xx = 0; xx < outSize; xx++)
            {
                double center = (xx + 0.5) * scale;
                double invFilterScale = 1.0 / filterScale;
                // (int) truncates toward zero in C# exactly as in C, so this is Pillow's own "rounding".
                int xmin = Math.Max(0, (int)(center - support + 0.5));
                int xmax = Math.Min(inSize, (int)(center + support + 0.5)) - xmin;
                double total = 0;
                for (int x = 0; x < xmax; x++)
                {
                    double w = Keys((x + xmin - center + 0.5) * invFilterScale);
                    taps[x] = w;
                    total += w;
                }
                for (int x = 0; x < xmax; x++)
                {
                    double w = total != 0 ? taps[x] / total : taps[x];
                    weights[xx * kernelSize + x] = w < 0
                        ? (int)(-0.5 + w * (1 << PrecisionBits))
                        : (int)(0.5 + w * (1 << PrecisionBits));
                }
                bounds[2 * xx] = xmin;
                bounds[2 * xx + 1] = xmax;
            }
            return new Coefficients { KernelSize = kernelSize, Bounds = bounds, Weights = weights };
        }
    }
}
