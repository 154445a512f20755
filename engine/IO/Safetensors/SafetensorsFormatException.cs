namespace StyleAlign.Engine.IO;

/// <summary>A safetensors file or checkpoint folder that is malformed or inconsistent.</summary>
public sealed class SafetensorsFormatException : InvalidInputException
{
    public SafetensorsFormatException(string message) : base(message) { }

    public SafetensorsFormatException(string message, Exception inner) : base(message, inner) { }
}
