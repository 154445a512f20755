using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace StyleAlign.Engine.IO;

/// <summary>Converts raw little-endian tensor bytes into managed arrays of a wider type.</summary>
internal static class SafetensorsConversion
{
    public static float[] ToFloat32(ReadOnlySpan<byte> bytes, SafetensorsDType dtype)
    {
        var result = new float[bytes.Length / dtype.ElementSize()];
        switch (dtype)
        {
            case SafetensorsDType.F32:
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(result);
                break;
            case SafetensorsDType.BF16:
                // bf16 is the upper half of an IEEE f32, so widening is a shift.
                ReadOnlySpan<ushort> bf16 = MemoryMarshal.Cast<byte, ushort>(bytes);
                Span<uint> bits = MemoryMarshal.Cast<float, uint>(result.AsSpan());
                for (int i = 0; i < bf16.Length; i++) bits[i] = (uint)bf16[i] << 16;
                break;
            case SafetensorsDType.F16:
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(bytes), result);
                break;
            default:
                double[] wide = ToFloat64(bytes, dtype);
                for (int i = 0; i < wide.Length; i++) result[i] = (float)wide[i];
                break;
        }
        return result;
    }

    public static double[] ToFloat64(ReadOnlySpan<byte> bytes, SafetensorsDType dtype)
    {
        var result = new double[bytes.Length / dtype.ElementSize()];
        switch (dtype)
        {
            case SafetensorsDType.F64:
                MemoryMarshal.Cast<byte, double>(bytes).CopyTo(result);
                break;
            case SafetensorsDType.F32:
                Widen(MemoryMarshal.Cast<byte, float>(bytes), result, static v => v);
                break;
            case SafetensorsDType.BF16:
                Widen(MemoryMarshal.Cast<byte, ushort>(bytes), result, static v => BitConverter.UInt32BitsToSingle((uint)v << 16));
                break;
            case SafetensorsDType.F16:
                Widen(MemoryMarshal.Cast<byte, Half>(bytes), result, static v => (double)v);
                break;
            case SafetensorsDType.U64:
                Widen(MemoryMarshal.Cast<byte, ulong>(bytes), result, static v => v);
                break;
            default:
                long[] integers = ToInt64Unchecked(bytes, dtype);
                for (int i = 0; i < integers.Length; i++) result[i] = integers[i];
                break;
        }
        return result;
    }

    /// <summary>Integer and boolean tensors only; a U64 value above long.MaxValue is an error.</summary>
    public static long[] ToInt64(ReadOnlySpan<byte> bytes, SafetensorsDType dtype, string filePath, string tensor)
    {
        if (dtype.IsFloatingPoint())
            throw SafetensorsHeaderParser.FailTensor(filePath, tensor, $"dtype {dtype.ToHeaderName()} is not an integer type");
        if (dtype == SafetensorsDType.U64)
        {
            ReadOnlySpan<ulong> values = MemoryMarshal.Cast<byte, ulong>(bytes);
            var result = new long[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i] > long.MaxValue)
                    throw SafetensorsHeaderParser.FailTensor(filePath, tensor, $"U64 element {i} = {values[i]} does not fit in a long");
                result[i] = (long)values[i];
            }
            return result;
        }
        return ToInt64Unchecked(bytes, dtype);
    }

    private static long[] ToInt64Unchecked(ReadOnlySpan<byte> bytes, SafetensorsDType dtype)
    {
        var result = new long[bytes.Length / dtype.ElementSize()];
        switch (dtype)
        {
            case SafetensorsDType.I64: MemoryMarshal.Cast<byte, long>(bytes).CopyTo(result); break;
            case SafetensorsDType.U64: Widen(MemoryMarshal.Cast<byte, ulong>(bytes), result, static v => (long)v); break;
            case SafetensorsDType.I32: Widen(MemoryMarshal.Cast<byte, int>(bytes), result, static v => v); break;
            case SafetensorsDType.U32: Widen(MemoryMarshal.Cast<byte, uint>(bytes), result, static v => v); break;
            case SafetensorsDType.I16: Widen(MemoryMarshal.Cast<byte, short>(bytes), result, static v => v); break;
            case SafetensorsDType.U16: Widen(MemoryMarshal.Cast<byte, ushort>(bytes), result, static v => v); break;
            case SafetensorsDType.I8: Widen(MemoryMarshal.Cast<byte, sbyte>(bytes), result, static v => v); break;
            case SafetensorsDType.U8: Widen(bytes, result, static v => v); break;
            case SafetensorsDType.Bool: Widen(bytes, result, static v => v != 0 ? 1L : 0L); break;
            default: throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Not an integer dtype.");
        }
        return result;
    }

    private static void Widen<TIn, TOut>(ReadOnlySpan<TIn> source, Span<TOut> destination, Func<TIn, TOut> convert)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = convert(source[i]);
    }
}
