namespace StyleAlign.Engine.IO;

/// <summary>
/// Input the engine refuses: a file, folder or value supplied by the user that is missing, malformed, out of range
/// or inconsistent. The message names the file (and the key, line or tensor) and says what was expected, so a
/// caller can show it as one line without a stack trace. Every loader's own error type derives from this one.
/// </summary>
public class InvalidInputException : IOException
{
    public InvalidInputException(string message) : base(message) { }

    public InvalidInputException(string message, Exception inner) : base(message, inner) { }
}
