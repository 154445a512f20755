using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.IO;

/// <summary>
/// Converts raw little-endian tensor bytes into wider managed element types. Each method fills a destination
/// span from a source span holding exactly as many elements, so large tensors can be converted in chunks.
/// </summary>
internal static class SafetensorsConversion
{
    public static void ToFloat32(ReadOnlySpan<byte> bytes, SafetensorsDType dtype, Span<float> destination)
    {
        switch (dtype)
        {
            case SafetensorsDType.F32:
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
                break;
            case SafetensorsDType.BF16:
                BFloat16Bits.ToSingle(MemoryMarshal.Cast<byte, ushort>(bytes), destination);
                break;
            case SafetensorsDType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(bytes), destination);
                break;
            default:
                var wide = new double[destination.Length];
                ToFloat64(bytes, dtype, wide);
                for (int i = 0; i < wide.Length; i++) destination[i] = (float)wide[i];
                break;
        }
    }

    public static void ToFloat64(ReadOnlySpan<byte> bytes, SafetensorsDType dtype, Span<double> destination)
    {
        switch (dtype)
        {
            case SafetensorsDType.F64:
                MemoryMarshal.Cast<byte, double>(bytes).CopyTo(destination);
                break;
            case SafetensorsDType.F32:
                Widen(MemoryMarshal.Cast<byte, float>(bytes), destination, static v => v);
                break;
            case SafetensorsDType.BF16:
                Widen(MemoryMarshal.Cast<byte, ushort>(bytes), destination, static v => BitConverter.UInt32BitsToSingle((uint)v << 16));
                break;
            case SafetensorsDType.F16:
                Widen(MemoryMarshal.Cast<byte, Half>(bytes), destination, static v => (double)v);
                break;
            case SafetensorsDType.U64:
                Widen(MemoryMarshal.Cast<byte, ulong>(bytes), destination, static v => v);
                break;
            default:
                var integers = new long[destination.Length];
                ToInt64Unchecked(bytes, dtype, integers);
                for (int i = 0; i < integers.Length; i++) destination[i] = integers[i];
                break;
        }
    }

    /// <summary>Integer and boolean tensors only; a U64 value above long.MaxValue is an error.</summary>
    public static void ToInt64(ReadOnlySpan<byte> bytes, SafetensorsDType dtype, Span<long> destination,
        string filePath, string tensor)
    {
        if (dtype.IsFloatingPoint())
            throw SafetensorsHeaderParser.FailTensor(filePath, tensor, $"dtype {dtype.ToHeaderName()} is not an integer type");
        if (dtype == SafetensorsDType.U64)
        {
            ReadOnlySpan<ulong> values = MemoryMarshal.Cast<byte, ulong>(bytes);
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i] > long.MaxValue)
                    throw SafetensorsHeaderParser.FailTensor(filePath, tensor, $"U64 element {i} = {values[i]} does not fit in a long");
                destination[i] = (long)values[i];
            }
            return;
        }
        ToInt64Unchecked(bytes, dtype, destination);
    }

    private static void ToInt64Unchecked(ReadOnlySpan<byte> bytes, SafetensorsDType dtype, Span<long> destination)
    {
        switch (dtype)
        {
            case SafetensorsDType.I64: MemoryMarshal.Cast<byte, long>(bytes).CopyTo(destination); break;
            case SafetensorsDType.U64: Widen(MemoryMarshal.Cast<byte, ulong>(bytes), destination, static v => (long)v); break;
            case SafetensorsDType.I32: Widen(MemoryMarshal.Cast<byte, int>(bytes), destination, static v => v); break;
            case SafetensorsDType.U32: Widen(MemoryMarshal.Cast<byte, uint>(bytes), destination, static v => v); break;
            case SafetensorsDType.I16: Widen(MemoryMarshal.Cast<byte, short>(bytes), destination, static v => v); break;
            case SafetensorsDType.U16: Widen(MemoryMarshal.Cast<byte, ushort>(bytes), destination, static v => v); break;
            case SafetensorsDType.I8: Widen(MemoryMarshal.Cast<byte, sbyte>(bytes), destination, static v => v); break;
            case SafetensorsDType.U8: Widen(bytes, destination, static v => v); break;
            case SafetensorsDType.Bool: Widen(bytes, destination, static v => v != 0 ? 1L : 0L); break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not an integer dtype.");
        }
    }

    private static void Widen<TIn, TOut>(ReadOnlySpan<TIn> source, Span<TOut> destination, Func<TIn, TOut> convert)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = convert(source[i]);
    }
}
