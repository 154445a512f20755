using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;

namespace StyleAlign.Engine.IO;

/// <summary>
/// A memory-mapped safetensors file: 8-byte little-endian header length, JSON header, data buffer.
/// The header is fully validated on open, so every later read stays inside the mapping. The mapping is
/// copy-on-write over a read-only handle: tensors mapped from it (<see cref="MapTensor"/>) may be written in memory
/// without the file ever changing.
/// </summary>
public sealed unsafe class SafetensorsFile : ISafetensorsSource
{
    private readonly MemoryMappedFile? _mapping;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _dataStart;
    private readonly Dictionary<string, SafetensorsEntry> _entries;
    private readonly Dictionary<string, string> _metadata;
    private bool _pointerAcquired;
    private bool _disposed;

    public string Path { get; }

    public IReadOnlyDictionary<string, SafetensorsEntry> Entries => _entries;

    public IReadOnlyDictionary<string, string> Metadata => _metadata;

    /// <summary>Offset of the data buffer from the start of the file (8 + header length).</summary>
    public long DataStart { get; }

    private SafetensorsFile(string path)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Safetensors data is little-endian; this platform is big-endian.");
        Path = System.IO.Path.GetFullPath(path);
        long fileLength = InputFiles.RequireRegularFile(Path, "safetensors file");
        if (fileLength < 8)
            throw SafetensorsHeaderParser.Fail(Path, $"file is {fileLength} bytes, shorter than the 8-byte header length");

        try
        {
            var stream = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read);
            try
            {
                _mapping = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.CopyOnWrite, HandleInheritability.None, leaveOpen: false);
            }
            catch
            {
                stream.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputFileException(Path, $"cannot be read: {e.Message}", e);
        }
        try
        {
            _view = _mapping.CreateViewAccessor(0, fileLength, MemoryMappedFileAccess.CopyOnWrite);
            byte* basePointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePointer);
            _pointerAcquired = true;
            basePointer += _view.PointerOffset;

            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(basePointer, 8));
            if (headerLength > SafetensorsHeaderParser.MaxHeaderBytes)
                throw SafetensorsHeaderParser.Fail(Path, $"header length {headerLength} exceeds the {SafetensorsHeaderParser.MaxHeaderBytes}-byte limit (corrupt, or not a safetensors file)");
            if ((long)headerLength > fileLength - 8)
                throw SafetensorsHeaderParser.Fail(Path, $"header length {headerLength} reaches past the end of the {fileLength}-byte file");

            DataStart = 8 + (long)headerLength;
            _dataStart = basePointer + DataStart;
            var headerBytes = new ReadOnlySpan<byte>(basePointer + 8, (int)headerLength);
            (_entries, _metadata) = SafetensorsHeaderParser.Parse(headerBytes, fileLength - DataStart, Path);
        }
        catch
        {
            ReleaseMapping();
            throw;
        }
    }

    public static SafetensorsFile Open(string path) => new(path);

    public bool Contains(string name) => _entries.ContainsKey(name);

    public SafetensorsEntry GetEntry(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_entries.TryGetValue(name, out SafetensorsEntry? entry)) return entry;
        throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");
    }

    /// <summary>The raw bytes of a tensor of at most 2 GiB; valid until this file is disposed.</summary>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        SafetensorsEntry entry = GetEntry(name);
        if (entry.Length > int.MaxValue)
            throw new NotSupportedException($"{Path}: tensor '{name}' is {entry.Length} bytes, more than one span can address; use GetDataPointer");
        return new ReadOnlySpan<byte>(_dataStart + entry.Offset, (int)entry.Length);
    }

    /// <summary>Address of a tensor's first byte inside the mapping (for bulk copies, e.g. to a device);
    /// valid until this file is disposed.</summary>
    public nint GetDataPointer(string name) => (nint)(_dataStart + GetEntry(name).Offset);

    /// <summary>
    /// A CPU tensor over the tensor's stored bytes, in its stored dtype, without a copy: pages are read from the file
    /// as they are touched. The tensor keeps the mapping alive after this file is disposed; a write into it stays in
    /// this process's memory. Element types without a tensor dtype (I8, I16, U16, U32, U64) cannot be mapped.
    /// </summary>
    public Tensor MapTensor(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        SafetensorsEntry entry = GetEntry(name);
        var dtype = entry.DType.ToTensorDType()
            ?? throw new NotSupportedException($"{Path}: tensor '{name}' is {entry.DType.ToHeaderName()}, which no tensor dtype holds; read it with ReadAsInt64");
        var shape = new Shape(entry.Shape.Select(d => d <= int.MaxValue ? (int)d
            : throw new NotSupportedException($"{Path}: tensor '{name}' has a dimension of {d}, more than a tensor holds")).ToArray());
        var storage = CpuStorage.Mapped(dtype, (nint)(_dataStart + entry.Offset), entry.ElementCount, _view!.SafeMemoryMappedViewHandle);
        return new Tensor(storage, Layout.Contiguous(shape));
    }

    public float[] ReadAsFloat32(string name) => ReadAsFloat32(name, DefaultChunkElements);

    internal float[] ReadAsFloat32(string name, int chunkElements) =>
        Convert<float>(name, static (bytes, dtype, destination, _, _) => SafetensorsConversion.ToFloat32(bytes, dtype, destination), chunkElements);

    public double[] ReadAsFloat64(string name) =>
        Convert<double>(name, static (bytes, dtype, destination, _, _) => SafetensorsConversion.ToFloat64(bytes, dtype, destination));

    public long[] ReadAsInt64(string name) => Convert<long>(name, SafetensorsConversion.ToInt64);

    private delegate void ChunkConverter<T>(ReadOnlySpan<byte> bytes, SafetensorsDType dtype, Span<T> destination,
        string filePath, string tensor);

    /// <summary>Elements per conversion step, so tensors past 2 GiB of source bytes never need one huge span.</summary>
    private const int DefaultChunkElements = 1 << 26;

    private T[] Convert<T>(string name, ChunkConverter<T> convert, int chunkElements = DefaultChunkElements)
    {
        SafetensorsEntry entry = GetEntry(name);
        long count = entry.ElementCount;
        if (count > Array.MaxLength)
            throw new NotSupportedException($"{Path}: tensor '{name}' has {count} elements, more than one array can hold");
        var result = new T[count];
        int elementSize = entry.DType.ElementSize();
        for (long start = 0; start < count; start += chunkElements)
        {
            int chunk = (int)Math.Min(chunkElements, count - start);
            var source = new ReadOnlySpan<byte>(_dataStart + entry.Offset + start * elementSize, chunk * elementSize);
            convert(source, entry.DType, result.AsSpan((int)start, chunk), Path, name);
        }
        return result;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ReleaseMapping();
    }

    private void ReleaseMapping()
    {
        if (_view is not null)
        {
            if (_pointerAcquired) _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _pointerAcquired = false;
            _view.Dispose();
        }
        _mapping?.Dispose();
    }
}
