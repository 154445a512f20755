using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace StyleAlign.Engine.IO;

/// <summary>
/// Writes safetensors files the way Hugging Face does (space-padded header, sorted tensors), always through a
/// temporary file in the destination folder that is renamed into place, so readers never see a partial file.
/// </summary>
public static partial class SafetensorsWriter
{
    /// <summary>transformers refuses files whose metadata "format" is not a known framework, so default to "pt".</summary>
    private static readonly Dictionary<string, string> DefaultMetadata = new() { ["format"] = "pt" };

    public static void Write(
        string path,
        IEnumerable<(string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data)> tensors,
        IDictionary<string, string>? metadata = null)
    {
        string fullPath = Path.GetFullPath(path);
        var ordered = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        byte[] header = BuildHeader(fullPath, ordered, metadata ?? DefaultMetadata);

        AtomicFile.Write(fullPath, stream =>
        {
            Span<byte> lengthPrefix = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(lengthPrefix, (ulong)header.Length);
            stream.Write(lengthPrefix);
            stream.Write(header);
            foreach (var tensor in ordered) stream.Write(tensor.Data.Span);
        });
    }

    /// <summary>All tensors as F32.</summary>
    public static void Write(string path, IEnumerable<(string Name, long[] Shape, float[] Data)> tensors,
        IDictionary<string, string>? metadata = null) =>
        Write(path, tensors.Select(t => Float32(t.Name, t.Shape, t.Data)), metadata);

    public static (string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data) Float32(
        string name, long[] shape, float[] data) => (name, SafetensorsDType.F32, shape, ToBytes<float>(data));

    public static (string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data) Int64(
        string name, long[] shape, long[] data) => (name, SafetensorsDType.I64, shape, ToBytes<long>(data));

    public static (string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data) Int32(
        string name, long[] shape, int[] data) => (name, SafetensorsDType.I32, shape, ToBytes<int>(data));

    /// <summary>bf16 values given as their raw 16-bit patterns (the upper half of the f32 bits).</summary>
    public static (string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data) BFloat16(
        string name, long[] shape, ushort[] data) => (name, SafetensorsDType.BF16, shape, ToBytes<ushort>(data));

    private static byte[] ToBytes<T>(T[] data) where T : unmanaged =>
        MemoryMarshal.AsBytes(data.AsSpan()).ToArray();

    private static byte[] BuildHeader(
        string path,
        List<(string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data)> ordered,
        IDictionary<string, string> metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata.Count > 0)
            {
                json.WriteStartObject(SafetensorsHeaderParser.MetadataKey);
                foreach (var pair in metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteString(pair.Key, pair.Value);
                json.WriteEndObject();
            }

            long offset = 0;
            string? previousName = null;
            foreach (var tensor in ordered)
            {
                ValidateTensor(path, tensor.Name, tensor.DType, tensor.Shape, tensor.Data.Length, previousName);
                previousName = tensor.Name;
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType.ToHeaderName());
                json.WriteStartArray("shape");
                foreach (long dim in tensor.Shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + tensor.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += tensor.Data.Length;
            }
            json.WriteEndObject();
        }

        // Padding keeps the data buffer 8-byte aligned so mapped tensors can be read in place.
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        byte[] header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void ValidateTensor(string path, string name, SafetensorsDType dtype, long[] shape, int byteLength,
        string? previousName)
    {
        if (name == SafetensorsHeaderParser.MetadataKey)
            throw new ArgumentException($"{path}: '{name}' is reserved and cannot name a tensor");
        if (name == previousName)
            throw new ArgumentException($"{path}: tensor '{name}' is given twice");
        long count = 1;
        foreach (long dim in shape)
        {
            if (dim < 0) throw new ArgumentException($"{path}: tensor '{name}' has a negative dimension in [{string.Join(", ", shape)}]");
            count = checked(count * dim);
        }
        long expected = checked(count * dtype.ElementSize());
        if (expected != byteLength)
            throw new ArgumentException(
                $"{path}: tensor '{name}' {dtype.ToHeaderName()} [{string.Join(", ", shape)}] needs {expected} bytes but {byteLength} were given");
    }
}
