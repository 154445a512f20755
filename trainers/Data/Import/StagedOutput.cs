namespace StyleAlign.Trainers.Data.Import;

/// <summary>
/// Builds an output folder's content in a hidden folder beside it and moves it in only once complete, so an
/// interrupted run leaves no half-written dataset or checkpoint behind (disposing without <see cref="Commit"/>
/// deletes the staging folder). Entries of the same name in the target are replaced: sub-folders first, files
/// last, so an index file never names images that are not there yet.
/// </summary>
public sealed class StagedOutput : IDisposable
{
    private bool _committed;

    public StagedOutput(string targetFolder)
    {
        Target = System.IO.Path.GetFullPath(targetFolder);
        var parent = System.IO.Path.GetDirectoryName(Target.TrimEnd(System.IO.Path.DirectorySeparatorChar)) ?? ".";
        Directory.CreateDirectory(parent);
        Path = System.IO.Path.Combine(parent, $".{System.IO.Path.GetFileName(Target.TrimEnd(System.IO.Path.DirectorySeparatorChar))}.partial-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    /// <summary>The folder the final one is built in.</summary>
    public string Path { get; }

    public string Target { get; }

    /// <summary>True when the target holds entries (the caller decides whether that needs --force).</summary>
    public static bool IsNonEmptyFolder(string folder) => Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any();

    public void Commit()
    {
        if (_committed) throw new InvalidOperationException($"'{Target}' was already committed");
        Directory.CreateDirectory(Target);
        foreach (var folder in Directory.GetDirectories(Path))
        {
            var destination = System.IO.Path.Combine(Target, System.IO.Path.GetFileName(folder));
            if (Directory.Exists(destination)) Directory.Delete(destination, recursive: true);
            else if (File.Exists(destination)) File.Delete(destination);
            Directory.Move(folder, destination);
        }
        foreach (var file in Directory.GetFiles(Path))
        {
            var destination = System.IO.Path.Combine(Target, System.IO.Path.GetFileName(file));
            if (Directory.Exists(destination)) Directory.Delete(destination, recursive: true);
            File.Move(file, destination, overwrite: true);
        }
        Directory.Delete(Path);
        _committed = true;
    }

    public void Dispose()
    {
        if (!_committed && Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
