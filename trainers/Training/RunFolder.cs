namespace StyleAlign.Trainers.Training;

/// <summary>
/// What a training command may do with its output folder, decided once before anything is loaded. Every training
/// verb calls <see cref="Prepare"/>: a new or empty folder starts a run; a non-empty one is continued with resume,
/// or emptied first when the caller says to replace it; otherwise it is refused, because writing a new run into it
/// would cut its metrics and replace its checkpoints, and a later resume would mix the two runs.
/// </summary>
public static class RunFolder
{
    /// <param name="directory">the run folder</param>
    /// <param name="resume">continue the run the folder holds</param>
    /// <param name="replace">delete what the folder holds and start a new run in it</param>
    /// <exception cref="RunFolderException">the folder holds something and neither is asked, both are, or replacing it
    /// would delete the working folder</exception>
    public static void Prepare(string directory, bool resume, bool replace)
    {
        if (resume && replace)
            throw new RunFolderException("--resume continues the run in --out and --force replaces it: pass one of them");
        var full = Path.GetFullPath(directory);
        if (File.Exists(full)) throw new RunFolderException($"--out '{directory}' is a file, not a folder");
        if (!Directory.Exists(full) || !Directory.EnumerateFileSystemEntries(full).Any() || resume) return;
        if (!replace)
            throw new RunFolderException($"--out '{directory}' is not empty: pass --resume to continue its run or --force to replace it");
        if (Contains(full, Path.GetFullPath(Environment.CurrentDirectory)))
            throw new RunFolderException($"--out '{directory}' holds the working folder; --force will not delete it");
        foreach (var folder in Directory.EnumerateDirectories(full)) Directory.Delete(folder, recursive: true);
        foreach (var file in Directory.EnumerateFiles(full)) File.Delete(file);
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="folder"/> or lies inside it.</summary>
    private static bool Contains(string folder, string path)
    {
        var root = Path.TrimEndingDirectorySeparator(folder);
        var inner = Path.TrimEndingDirectorySeparator(path);
        return inner == root || inner.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}

/// <summary>A run folder the command line asked to use in a way <see cref="RunFolder"/> refuses.</summary>
public sealed class RunFolderException(string message) : ArgumentException(message);
