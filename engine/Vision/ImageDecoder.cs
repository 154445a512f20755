using StbImageSharp;

namespace StyleAlign.Engine.Vision;

/// <summary>Decodes PNG/JPEG (and the other formats stb_image reads) to 8-bit RGB.</summary>
/// <remarks>
/// Grey and grey+alpha are replicated to three channels and alpha is dropped, which is what PIL's
/// <c>convert("RGB")</c> does. PNG decoding is lossless and therefore identical to PIL; JPEG decoders differ in
/// IDCT and chroma upsampling, so JPEG pixels may differ from PIL's by a few levels.
/// </remarks>
public static class ImageDecoder
{
    public static RgbImage Load(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"Cannot read image file '{path}': {e.Message}", e);
        }
        return Decode(bytes, path);
    }

    /// <param name="sourceName">Named in error messages (a file name or a dataset key).</param>
    public static RgbImage Decode(byte[] encoded, string sourceName = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(encoded);
        ImageResult result;
        try
        {
            result = ImageResult.FromMemory(encoded, ColorComponents.RedGreenBlue);
        }
        catch (Exception e)
        {
            throw new InvalidDataException(
                $"Cannot decode image '{sourceName}' ({encoded.Length} bytes): {e.Message}. Expected a PNG, JPEG, BMP, TGA or GIF file.", e);
        }
        if (result is null || result.Data is null)
            throw new InvalidDataException($"Cannot decode image '{sourceName}': the decoder returned no pixels.");
        if (result.Comp != ColorComponents.RedGreenBlue || result.Data.Length != result.Width * result.Height * 3)
            throw new InvalidDataException(
                $"Image '{sourceName}' decoded to {result.Comp} with {result.Data.Length} bytes; expected {result.Width}x{result.Height} RGB.");
        return new RgbImage(result.Data, result.Height, result.Width);
    }
}
