using StbImageSharp;
using StyleAlign.Engine.IO;

namespace StyleAlign.Engine.Vision;

/// <summary>Decodes PNG/JPEG (and the other formats stb_image reads) to 8-bit RGB.</summary>
/// <remarks>
/// Grey and grey+alpha are replicated to three channels and alpha is dropped, which is what PIL's
/// <c>convert("RGB")</c> does. PNG decoding is lossless and therefore identical to PIL; JPEG decoders differ in
/// IDCT and chroma upsampling, so JPEG pixels may differ from PIL's by a few levels.
/// The file's structure is checked first (<see cref="ImageStructure"/>), then the dimensions in its header, and an
/// image is refused before decoding when they exceed <see cref="MaxPixels"/> or when the file is far too small to
/// hold that many pixels (a decompression bomb).
/// </remarks>
public static class ImageDecoder
{
    /// <summary>The most pixels an image may declare (8192 × 8192); a decoded RGB image of that size is 192 MiB.</summary>
    public const long MaxPixels = 1L << 26;

    /// <summary>
    /// No format stb_image reads packs more pixels into one byte than a 1-bit PNG at deflate's best ratio
    /// (about 1032:1, so 8 256 pixels a byte); a header that claims more than that of its file is a lie.
    /// </summary>
    public const long MaxPixelsPerFileByte = 8256;

    /// <summary>Pixels any header may claim whatever its file size, so tiny valid files are never second-guessed.</summary>
    private const long PixelsAlwaysAllowed = 1 << 20;

    public static RgbImage Load(string path)
    {
        string fullPath = Path.GetFullPath(path);
        return Decode(InputFiles.ReadAllBytes(fullPath, InputFiles.MaxImageBytes, "image"), fullPath);
    }

    /// <param name="sourceName">Named in error messages (a file name or a dataset key).</param>
    public static RgbImage Decode(byte[] encoded, string sourceName = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(encoded);
        var (width, height) = DeclaredSize(encoded, sourceName);
        ImageResult result;
        try
        {
            result = ImageResult.FromMemory(encoded, ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ImageInputException(
                $"{sourceName}: cannot decode the {width}x{height} image ({encoded.Length} bytes): {e.Message}", e);
        }
        if (result is null || result.Data is null)
            throw new ImageInputException($"{sourceName}: the decoder returned no pixels");
        if (result.Comp != ColorComponents.RedGreenBlue || result.Width != width || result.Height != height
            || result.Data.Length != (long)result.Width * result.Height * 3)
            throw new ImageInputException(
                $"{sourceName}: decoded to {result.Width}x{result.Height} {result.Comp} with {result.Data.Length} bytes; expected {width}x{height} RGB");
        return new RgbImage(result.Data, result.Height, result.Width) { Source = sourceName };
    }

    /// <summary>Width and height from the header alone, checked against the limits before any pixel is decoded.</summary>
    public static (int Width, int Height) DeclaredSize(byte[] encoded, string sourceName)
    {
        if (ImageStructure.Problem(encoded) is { } problem) throw new ImageInputException($"{sourceName}: {problem}");
        ImageInfo? info;
        try
        {
            using var stream = new MemoryStream(encoded, writable: false);
            info = ImageInfo.FromStream(stream);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ImageInputException($"{sourceName}: unreadable image header: {e.Message}", e);
        }
        if (info is not { } header)
            throw new ImageInputException(
                $"{sourceName}: not an image this engine decodes ({encoded.Length} bytes); expected a PNG, JPEG, BMP, TGA or GIF file");
        long pixels = (long)header.Width * header.Height;
        if (header.Width <= 0 || header.Height <= 0)
            throw new ImageInputException($"{sourceName}: the header declares a {header.Width}x{header.Height} image");
        if (pixels > MaxPixels)
            throw new ImageInputException(
                $"{sourceName}: the header declares {header.Width}x{header.Height} = {pixels:N0} pixels, more than the {MaxPixels:N0} an image may have");
        if (pixels > PixelsAlwaysAllowed + MaxPixelsPerFileByte * encoded.Length)
            throw new ImageInputException(
                $"{sourceName}: the header declares {header.Width}x{header.Height} pixels, more than a {encoded.Length}-byte file can hold (corrupt, or a decompression bomb)");
        return (header.Width, header.Height);
    }
}
