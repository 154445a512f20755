namespace StyleAlign.Engine.IO;

/// <summary>
/// Paths that one input file names relative to its own folder — a shard in a checkpoint's index, an image in a data
/// file — stay inside that folder unless the caller allows otherwise: a file handed over by someone else must not
/// make the engine read anything else on the machine. The check is lexical (hub caches link every file to a blob
/// elsewhere, which is fine once it is named from inside). The allowance is ambient for the current flow of
/// execution, so a command-line flag can lift it for every loader a verb calls.
/// </summary>
public static class InputPaths
{
    private static readonly AsyncLocal<bool> Allowed = new();

    /// <summary>Whether paths outside the naming file's folder are allowed in the current flow of execution.</summary>
    public static bool OutsideAllowed => Allowed.Value;

    /// <summary>Allows (or, with false, keeps refusing) outside paths until the returned scope is disposed.</summary>
    public static IDisposable AllowOutside(bool allow = true)
    {
        bool previous = Allowed.Value;
        Allowed.Value = allow;
        return new Restore(previous);
    }

    /// <summary>
    /// The full path of <paramref name="named"/> resolved against <paramref name="folder"/>, or null when it is
    /// absolute or leaves the folder and that is not allowed (or is not a path at all).
    /// </summary>
    /// <param name="allowOutside">null: the ambient allowance</param>
    public static string? Resolve(string folder, string named, bool? allowOutside = null)
    {
        string full;
        try
        {
            full = Path.GetFullPath(Path.Combine(folder, named));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
        if (allowOutside ?? OutsideAllowed) return full;
        string root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)) + Path.DirectorySeparatorChar;
        return !Path.IsPathRooted(named) && full.StartsWith(root, StringComparison.Ordinal) ? full : null;
    }

    private sealed class Restore(bool previous) : IDisposable
    {
        public void Dispose() => Allowed.Value = previous;
    }
}
