using System.Buffers.Binary;
using System.Text;
using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.IO;

/// <summary>Hand-made (possibly broken) safetensors files, written into a test's temporary folder.</summary>
internal static class RawSafetensorsFiles
{
    /// <summary>Writes the length prefix, <paramref name="headerJson"/> verbatim and <paramref name="dataLength"/> data bytes.</summary>
    public static string WriteRaw(this TempDirectory folder, string name, string headerJson, int dataLength, ulong? declaredHeaderLength = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        for (int i = 0; i < dataLength; i++) bytes[8 + header.Length + i] = (byte)i;
        string path = folder.File(name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }
}
