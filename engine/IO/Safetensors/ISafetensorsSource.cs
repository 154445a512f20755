namespace StyleAlign.Engine.IO;

/// <summary>Read access shared by a single safetensors file and a (possibly sharded) checkpoint.</summary>
public interface ISafetensorsSource : IDisposable
{
    IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }

    IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The raw little-endian bytes of a tensor; valid only until the source is disposed.</summary>
    ReadOnlySpan<byte> GetBytes(string name);

    float[] ReadAsFloat32(string name);

    double[] ReadAsFloat64(string name);

    long[] ReadAsInt64(string name);
}
