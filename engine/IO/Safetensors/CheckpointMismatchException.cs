namespace StyleAlign.Engine.IO;

/// <summary>A well-formed checkpoint whose tensors do not match the model its config describes: missing,
/// unexpected, mis-shaped or of a non-float dtype where a weight is expected.</summary>
public sealed class CheckpointMismatchException : InvalidInputException
{
    public CheckpointMismatchException(string message) : base(message) { }
}
