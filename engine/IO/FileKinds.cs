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
/// The type and size of a path without opening it (opening a FIFO blocks until a writer appears), following
/// symbolic links as opening would (a hub cache links every file to a blob; FileInfo.Length would give the
/// link's own length). .NET exposes no file type beyond "folder or not", so on Unix this asks the runtime's own
/// native shim for stat(2), whose mode and size sit at fixed offsets of its result on every platform it supports.
/// </summary>
internal static unsafe partial class FileKinds
{
    private const int ModeOffset = 4;
    private const int SizeOffset = 16;
    private const int StatBufferBytes = 512;
    private static bool _statUnavailable;

    public static (FileKind Kind, long Length) Of(string fullPath)
    {
        if (Directory.Exists(fullPath)) return (FileKind.Directory, 0);
        if (!File.Exists(fullPath)) return (FileKind.Missing, 0);
        if (OperatingSystem.IsWindows() || _statUnavailable) return (FileKind.Regular, FollowLinks(fullPath).Length);
        byte* buffer = stackalloc byte[StatBufferBytes];
        try
        {
            if (Stat(fullPath, buffer) != 0) return (FileKind.Missing, 0);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _statUnavailable = true;
            return (FileKind.Regular, FollowLinks(fullPath).Length);
        }
        return (KindOf(*(int*)(buffer + ModeOffset)), *(long*)(buffer + SizeOffset));
    }

    private static FileInfo FollowLinks(string fullPath) =>
        new FileInfo(fullPath).ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? new FileInfo(fullPath);

    private static FileKind KindOf(int mode) =>
        (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x1000 => FileKind.Fifo,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0xC000 => FileKind.Socket,
            _ => FileKind.Other,
        };

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
