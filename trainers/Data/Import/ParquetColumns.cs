using Parquet;
using Parquet.Schema;

namespace StyleAlign.Trainers.Data.Import;

/// <summary>
/// Reads whole string and binary columns of a parquet file by name, checking the schema first: a missing column or
/// one of another type is a one-line error naming the file, the column, what it is and what was expected.
/// </summary>
public sealed class ParquetColumns : IDisposable
{
    private readonly FileStream _stream;
    private readonly ParquetReader _reader;

    private ParquetColumns(string path, FileStream stream, ParquetReader reader)
    {
        Path = path;
        _stream = stream;
        _reader = reader;
        RowCount = Enumerable.Range(0, reader.RowGroupCount).Sum(g => { using var group = reader.OpenRowGroupReader(g); return group.RowCount; });
    }

    public string Path { get; }

    public long RowCount { get; }

    public static ParquetColumns Open(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var stream = File.OpenRead(full);
        try
        {
            return new ParquetColumns(full, stream, ParquetReader.CreateAsync(stream).GetAwaiter().GetResult());
        }
        catch (Exception error) when (error is not (OutOfMemoryException or DataFormatException))
        {
            stream.Dispose();
            throw new DataFormatException(full, 0, $"not a readable parquet file: {error.Message}");
        }
    }

    /// <summary>The top-level field of that name, or an error listing the columns the file has.</summary>
    public Field Column(string name) =>
        _reader.Schema.Fields.FirstOrDefault(f => f.Name == name)
        ?? throw new DataFormatException(Path, 0, $"no column '{name}' (the file has: {string.Join(", ", _reader.Schema.Fields.Select(f => f.Name))})");

    /// <summary>A UTF-8 string column: one value (or null) per row.</summary>
    public string?[] Strings(string name)
    {
        var field = Column(name);
        if (field is not DataField data || !IsString(data)) throw WrongType(name, field, "a string");
        return ReadAll<char, string>(data, text => new string(text.Span));
    }

    /// <summary>A binary column, or the <c>bytes</c> field of a struct column (how Hugging Face stores encoded images).</summary>
    public byte[]?[] Binary(string name, string structMember)
    {
        var field = Column(name);
        var data = field switch
        {
            DataField plain when IsBinary(plain) => plain,
            StructField record => record.Fields.FirstOrDefault(f => f.Name == structMember) as DataField
                ?? throw new DataFormatException(Path, 0, $"column '{name}' is a struct without a '{structMember}' field (it has: {string.Join(", ", record.Fields.Select(f => f.Name))})"),
            _ => throw WrongType(name, field, $"a struct with binary '{structMember}' (an encoded image)"),
        };
        if (!IsBinary(data)) throw WrongType($"{name}.{structMember}", data, "binary");
        return ReadAll<byte, byte[]>(data, bytes => bytes.ToArray());
    }

    public void Dispose()
    {
        _reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _stream.Dispose();
    }

    /// <summary>
    /// Every row's value, null where the row has none. Values are read raw with their definition levels and placed by
    /// hand: a row holds a value only when its level reaches the field's maximum (a null struct or a null member
    /// both fall short), which keeps rows aligned however deeply the field is nested.
    /// </summary>
    private TResult?[] ReadAll<TElement, TResult>(DataField field, Func<ReadOnlyMemory<TElement>, TResult> convert)
        where TResult : class
    {
        if (field.MaxRepetitionLevel > 0) throw new DataFormatException(Path, 0, $"column '{field.Path}' repeats within a row, expected one value a row");
        var values = new TResult?[RowCount];
        var row = 0;
        for (var g = 0; g < _reader.RowGroupCount; g++)
        {
            using var group = _reader.OpenRowGroupReader(g);
            var count = checked((int)group.RowCount);
            var raw = new ReadOnlyMemory<TElement>[count];
            var levels = new int[count];
            try
            {
                group.ReadRawAsync(field, raw.AsMemory(), field.MaxDefinitionLevel > 0 ? levels.AsMemory() : null, null).AsTask().GetAwaiter().GetResult();
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                throw new DataFormatException(Path, 0, $"column '{field.Path}' of row group {g} cannot be read: {error.Message}");
            }
            var next = 0;
            for (var i = 0; i < count; i++, row++)
                if (field.MaxDefinitionLevel == 0 || levels[i] == field.MaxDefinitionLevel) values[row] = convert(raw[next++]);
        }
        return values;
    }

    private static bool IsString(DataField field) => field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>);

    private static bool IsBinary(DataField field) => field.ClrType == typeof(byte[]) || field.ClrType == typeof(ReadOnlyMemory<byte>);

    private DataFormatException WrongType(string column, Field field, string expected) =>
        new(Path, 0, $"column '{column}' is {Describe(field)}, expected {expected}");

    private static string Describe(Field field) => field switch
    {
        ListField list => list.Item is DataField item && IsString(item) ? "a list of strings" : "a list",
        StructField => "a struct",
        MapField => "a map",
        DataField data when IsString(data) => "a string",
        DataField data when IsBinary(data) => "binary",
        DataField data => $"of type {Nullable.GetUnderlyingType(data.ClrType)?.Name ?? data.ClrType.Name}",
        _ => "not a plain column",
    };
}
