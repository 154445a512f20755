namespace StyleAlign.Engine.IO;

/// <summary>A model whose config implies more memory than this process can have; refused before anything is
/// allocated, with the numbers.</summary>
public sealed class ModelTooLargeException : InvalidInputException
{
    public ModelTooLargeException(string message) : base(message) { }
}
