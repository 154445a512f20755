using System.Runtime.InteropServices;

namespace StyleAlign.Engine.IO;

/// <summary>What a path names on disk.</summary>
public enum FileKind
{
    Missing,
    Regular,
    Directory,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Other,
}

/// <summary>
/// The type of a path without opening it (opening a FIFO blocks until a writer appears). .NET exposes no file type
/// beyond "folder or not", so on Unix this asks the runtime's own native shim for stat(2), whose mode sits at a
/// fixed offset of its result on every platform the runtime supports.
/// </summary>
internal static unsafe partial class FileKinds
{
    private const int ModeOffset = 4;
    private const int StatBufferBytes = 512;
    private static bool _statUnavailable;

    public static FileKind Of(string fullPath)
    {
        if (Directory.Exists(fullPath)) return FileKind.Directory;
        if (!File.Exists(fullPath)) return FileKind.Missing;
        if (OperatingSystem.IsWindows() || _statUnavailable) return FileKind.Regular;
        byte* buffer = stackalloc byte[StatBufferBytes];
        try
        {
            // stat follows symbolic links, as opening the file would.
            if (Stat(fullPath, buffer) != 0) return FileKind.Missing;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _statUnavailable = true;
            return FileKind.Regular;
        }
        return (*(int*)(buffer + ModeOffset) & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x1000 => FileKind.Fifo,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0xC000 => FileKind.Socket,
            _ => FileKind.Other,
        };
    }

    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Fifo => "FIFO (named pipe)",
        FileKind.CharacterDevice => "character device",
        FileKind.BlockDevice => "block device",
        FileKind.Socket => "socket",
        FileKind.Directory => "folder",
        FileKind.Missing => "missing file",
        FileKind.Regular => "regular file",
        _ => "special file",
    };

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, byte* output);
}
