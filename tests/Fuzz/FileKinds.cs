namespace StyleAlign.Tests.Fuzz;

/// <summary>Replaces an input file by something that is not a regular file of a sane size.</summary>
internal static class FileKinds
{
    /// <summary>Puts a FIFO, a folder, a link to /dev/zero or a sparse file one byte over <paramref name="limit"/> at
    /// <paramref name="path"/>; returns the mutation's name. Every one of them must be refused.</summary>
    public static string Replace(string path, Random rng, FuzzWorkspace workspace, long limit)
    {
        if (File.Exists(path)) File.Delete(path);
        switch (rng.Next(4))
        {
            case 0 when workspace.Fifo is not null:
                File.CreateSymbolicLink(path, workspace.Fifo);
                return "file is a FIFO";
            case 1 when File.Exists("/dev/zero"):
                File.CreateSymbolicLink(path, "/dev/zero");
                return "file is /dev/zero";
            case 2:
                using (var stream = new FileStream(path, FileMode.CreateNew))
                    stream.SetLength(limit + 1);
                return "file over the size limit";
            default:
                Directory.CreateDirectory(path);
                return "file is a folder";
        }
    }
}
