using NUnit.Framework;
using System.Buffers.Binary;
using System.Text;

namespace StyleAlign.Tests.IO;

/// <summary>A scratch folder per test plus a writer of hand-made (possibly broken) safetensors files.</summary>
internal sealed class IoTestFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "stylealign-io-" + Guid.NewGuid().ToString("N"));

    public IoTestFolder() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Writes the length prefix, <paramref name="headerJson"/> verbatim and <paramref name="dataLength"/> data bytes.</summary>
    public string WriteRaw(string name, string headerJson, int dataLength, ulong? declaredHeaderLength = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        for (int i = 0; i < dataLength; i++) bytes[8 + header.Length + i] = (byte)i;
        string path = File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A named pipe nobody writes to (opening it for reading would block), or null where mkfifo is missing.</summary>
    public string? Fifo(string name) => MakeFifo(File(name));

    /// <summary>Makes a named pipe at <paramref name="path"/>; null where mkfifo is missing.</summary>
    public static string? MakeFifo(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false });
            process!.WaitForExit();
            return process.ExitCode == 0 ? path : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    /// <summary>The path of a FIFO, or the test is ignored where none can be made.</summary>
    public string RequireFifo(string name) => Fifo(name) ?? throw new IgnoreException("mkfifo is not available here");

    /// <summary>The repository's root (the folder holding StyleAlign.Engine.sln), found from the test binaries.</summary>
    public static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); folder is not null; folder = folder.Parent)
            if (System.IO.File.Exists(System.IO.Path.Combine(folder.FullName, "StyleAlign.Engine.sln"))) return folder.FullName;
        throw new InvalidOperationException("the tests run outside a checkout of the repository");
    }

    public static string FixturePath(params string[] parts) =>
        System.IO.Path.Combine([TestContext.CurrentContext.TestDirectory, "fixtures", .. parts]);

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
