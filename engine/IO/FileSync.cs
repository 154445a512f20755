using System.Runtime.InteropServices;

namespace StyleAlign.Engine.IO;

/// <summary>
/// Forces written data to the disk before a rename makes it visible under its final name, so a power loss cannot
/// leave a final name pointing at data that never reached the disk: a file's bytes with fsync(2), a folder's entries
/// (the names a rename created) with fsync on the folder itself. .NET flushes files but cannot open a folder, so on
/// Unix the folder is opened through the C library; elsewhere folder entries are durable once the call returns.
/// </summary>
public static partial class FileSync
{
    private const int ReadOnly = 0;
    private const int InvalidArgument = 22;
    private static bool _unavailable;

    /// <summary>Flushes a file's bytes to the disk.</summary>
    public static void File(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 1);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>Flushes every file directly in <paramref name="folder"/>, then the folder's own entries.</summary>
    public static void FilesAndFolder(string folder)
    {
        foreach (string file in Directory.EnumerateFiles(folder)) File(file);
        Folder(folder);
    }

    /// <summary>Flushes a folder's entries (after files were created or renamed in it).</summary>
    public static void Folder(string folder)
    {
        if (OperatingSystem.IsWindows() || _unavailable) return;
        int fd;
        try
        {
            fd = Open(folder, ReadOnly);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
            return;
        }
        if (fd < 0) throw new IOException($"{folder}: cannot open the folder to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            // Some file systems cannot flush a folder and say so with EINVAL; their entries need no flush.
            if (Fsync(fd) != 0 && Marshal.GetLastPInvokeError() is var errno && errno != InvalidArgument)
                throw new IOException($"{folder}: flushing the folder to disk failed (errno {errno})");
        }
        finally
        {
            Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
