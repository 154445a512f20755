using StbImageSharp;

namespace StyleAlign.Trainers.Data.Import;

/// <summary>Recognizes encoded images by their leading bytes and checks that the engine's decoder can read their header.</summary>
public static class ImageFiles
{
    /// <summary>The file extension for the image's format (".jpg", ".png", ".gif", ".bmp"), or null with the reason it cannot be used.</summary>
    public static (string? Extension, string? Problem) Inspect(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0) return (null, "the image is empty");
        string? extension = bytes switch
        {
            [0xFF, 0xD8, 0xFF, ..] => ".jpg",
            [0x89, (byte)'P', (byte)'N', (byte)'G', ..] => ".png",
            [(byte)'G', (byte)'I', (byte)'F', (byte)'8', ..] => ".gif",
            [(byte)'B', (byte)'M', ..] => ".bmp",
            _ => null,
        };
        if (extension is null)
        {
            var webp = bytes.Length >= 12 && bytes[..4].SequenceEqual("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8);
            return (null, webp ? "the image is WebP, which the engine cannot decode" : "the image is not a JPEG, PNG, GIF or BMP file");
        }
        ImageInfo? info;
        try
        {
            using var stream = new MemoryStream(bytes.ToArray(), writable: false);
            info = ImageInfo.FromStream(stream);
        }
        catch (Exception error) when (error is not OutOfMemoryException)
        {
            info = null;
        }
        return info is { Width: > 0, Height: > 0 } ? (extension, null) : (null, $"the {extension[1..].ToUpperInvariant()} header cannot be read");
    }
}
