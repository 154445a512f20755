namespace StyleAlign.Engine.IO;

/// <summary>An input path that cannot be read as the file it should be: missing, a folder, a device or FIFO,
/// larger than the limit for its kind, or unreadable.</summary>
public sealed class InputFileException : InvalidInputException
{
    public InputFileException(string path, string problem) : base($"{path}: {problem}") => FilePath = path;

    public InputFileException(string path, string problem, Exception inner) : base($"{path}: {problem}", inner) => FilePath = path;

    public string FilePath { get; }
}
