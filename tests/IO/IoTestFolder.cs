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

    public static string FixturePath(params string[] parts) =>
        System.IO.Path.Combine([TestContext.CurrentContext.TestDirectory, "fixtures", .. parts]);

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
