namespace StyleAlign.Engine.IO;

/// <summary>Writes through a temporary file in the destination folder, flushed to the disk and renamed into place
/// (then the folder flushed, so the rename itself survives a power loss): a crash never leaves a half-written file
/// under the final name. A process killed mid-write leaves its temporary file behind; <see cref="RemoveOrphans"/>
/// clears them.</summary>
public static class AtomicFile
{
    public static void Write(string fullPath, Action<FileStream> writeContent)
    {
        string directory = Path.GetDirectoryName(fullPath) ?? ".";
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                writeContent(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
            FileSync.Folder(directory);
        }
        catch
        {
            if (File.Exists(temporary)) File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Deletes the temporary files that writes killed before their rename left in <paramref name="directory"/>; returns their names.</summary>
    public static IReadOnlyList<string> RemoveOrphans(string directory)
    {
        if (!Directory.Exists(directory)) return [];
        var removed = new List<string>();
        foreach (string file in Directory.EnumerateFiles(directory, ".*.tmp"))
        {
            string name = Path.GetFileName(file);
            // ".{final name}.{32 hex digits}.tmp", as Write names them.
            int dot = name.Length - ".tmp".Length - 33;
            if (dot < 1 || name[dot] != '.' || name.AsSpan(dot + 1, 32).ContainsAnyExcept(HexDigits)) continue;
            File.Delete(file);
            removed.Add(name);
        }
        return removed;
    }

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdef");

    public static void WriteAllText(string path, string text) =>
        Write(Path.GetFullPath(path), stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(Path.GetFullPath(path), stream => stream.Write(copy));
    }
}
