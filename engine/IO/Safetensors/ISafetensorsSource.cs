namespace StyleAlign.Engine.IO;

/// <summary>Read access shared by a single safetensors file and a (possibly sharded) checkpoint.</summary>
public interface ISafetensorsSource : IDisposable
{
    IReadOnlyDictionary<string, SafetensorsEntry> Entries { get; }

    IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The raw little-endian bytes of a tensor; valid only until the source is disposed.</summary>
    ReadOnlySpan<byte> GetBytes(string name);

    /// <summary>Address of a tensor's first byte in the mapping, for bulk copies of any size; valid until disposed.</summary>
    nint GetDataPointer(string name);

    /// <summary>A CPU tensor over the stored bytes (no copy) that keeps the mapping alive; see <see cref="SafetensorsFile.MapTensor"/>.</summary>
    Core.Tensor MapTensor(string name);

    /// <summary>Any dtype widened to f32 (bf16 exactly, by a 16-bit shift).</summary>
    float[] ReadAsFloat32(string name);

    double[] ReadAsFloat64(string name);

    /// <summary>Integer and BOOL tensors only.</summary>
    long[] ReadAsInt64(string name);
}
