using StyleAlign.Engine.IO;

namespace StyleAlign.Engine.Vision;

/// <summary>An image that cannot be decoded or that the image processor cannot take (too many pixels, too small,
/// too elongated); the message names the image.</summary>
public sealed class ImageInputException : InvalidInputException
{
    public ImageInputException(string message) : base(message) { }

    public ImageInputException(string message, Exception inner) : base(message, inner) { }
}
