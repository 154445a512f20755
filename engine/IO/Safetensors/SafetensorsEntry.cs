namespace StyleAlign.Engine.IO;

/// <summary>
/// One tensor of a safetensors file. <paramref name="Offset"/> is relative to the start of the data buffer
/// (right after the header), exactly as the header's <c>data_offsets</c>; <paramref name="Length"/> is in bytes.
/// </summary>
public sealed record SafetensorsEntry(string Name, SafetensorsDType DType, long[] Shape, long Offset, long Length)
{
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (long dim in Shape) count *= dim;
            return count;
        }
    }

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    public bool Equals(SafetensorsEntry? other) =>
        other is not null && Name == other.Name && DType == other.DType && Offset == other.Offset
        && Length == other.Length && Shape.AsSpan().SequenceEqual(other.Shape);

    public override int GetHashCode() => HashCode.Combine(Name, DType, Offset, Length, Shape.Length);
}
