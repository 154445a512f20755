using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace StyleAlign.Tests.Fuzz;

/// <summary>A safetensors file taken apart for editing: the header as JSON and the data buffer as bytes.</summary>
internal sealed class SafetensorsImage
{
    public required JsonObject Header { get; init; }

    public required byte[] Data { get; set; }

    public static SafetensorsImage Parse(byte[] file)
    {
        long length = (long)BinaryPrimitives.ReadUInt64LittleEndian(file);
        string header = Encoding.UTF8.GetString(file, 8, (int)length);
        return new SafetensorsImage { Header = Mutate.ParseObject(header), Data = file[(8 + (int)length)..] };
    }

    /// <summary>Tensor names (without __metadata__) in the header's order.</summary>
    public List<string> Tensors => Header.Select(p => p.Key).Where(k => k != "__metadata__").ToList();

    public JsonObject Entry(string name) => Header[name]!.AsObject();

    public (long Begin, long End) Offsets(string name)
    {
        var offsets = Entry(name)["data_offsets"]!.AsArray();
        return (offsets[0]!.GetValue<long>(), offsets[1]!.GetValue<long>());
    }

    public long[] Shape(string name) => Entry(name)["shape"]!.AsArray().Select(d => d!.GetValue<long>()).ToArray();

    /// <summary>Rebuilds data and offsets from per-tensor byte arrays, in the given order.</summary>
    public void Relayout(IReadOnlyList<(string Name, byte[] Bytes)> tensors)
    {
        long offset = 0;
        using var data = new MemoryStream();
        foreach (var (name, bytes) in tensors)
        {
            Entry(name)["data_offsets"] = new JsonArray(offset, offset + bytes.Length);
            data.Write(bytes);
            offset += bytes.Length;
        }
        Data = data.ToArray();
    }

    public byte[] TensorBytes(string name)
    {
        var (begin, end) = Offsets(name);
        return Data[(int)begin..(int)end];
    }

    /// <summary>The file: length prefix (adjusted by <paramref name="lengthDelta"/>), header padded with spaces to 8 bytes, data.</summary>
    public byte[] Build(int lengthDelta = 0, string? headerText = null, byte[]? headerBytes = null)
    {
        byte[] header = headerBytes ?? Encoding.UTF8.GetBytes(headerText ?? Mutate.Write(Header, indented: false));
        if (headerBytes is null && headerText is null)
        {
            int padded = (header.Length + 7) / 8 * 8;
            header = [.. header, .. Enumerable.Repeat((byte)' ', padded - header.Length)];
        }
        var file = new byte[8 + header.Length + Data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)(header.Length + lengthDelta));
        header.CopyTo(file, 8);
        Data.CopyTo(file, 8 + header.Length);
        return file;
    }
}
