using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StyleAlign.Engine.Core;

/// <summary>bfloat16 kept as raw bits: the top half of an IEEE float32.</summary>
public static class BFloat16Bits
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Round to nearest, ties to even (the rounding PyTorch and CUDA use); NaN stays a quiet NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort FromSingle(float value)
    {
        var bits = (uint)BitConverter.SingleToInt32Bits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) return (ushort)((bits >> 16) | 0x0040);
        var roundingBias = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + roundingBias) >> 16);
    }

    /// <summary>Widens every element: bf16 is the upper half of an IEEE f32, so this is a 16-bit shift of the bits.</summary>
    public static void ToSingle(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException($"{source.Length} bf16 values do not fit {destination.Length} floats");
        var wide = MemoryMarshal.Cast<float, uint>(destination);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= source.Length - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.Create(source.Slice(i, Vector256<ushort>.Count)));
                (lower << 16).CopyTo(wide[i..]);
                (upper << 16).CopyTo(wide[(i + Vector256<uint>.Count)..]);
            }
        }
        for (; i < source.Length; i++) wide[i] = (uint)source[i] << 16;
    }

    /// <summary>Rounds every element to bf16 as <see cref="FromSingle(float)"/> does.</summary>
    public static void FromSingle(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException($"{source.Length} floats do not fit {destination.Length} bf16 values");
        for (var i = 0; i < source.Length; i++) destination[i] = FromSingle(source[i]);
    }

    /// <summary>The float32 nearest to the bf16 rounding of value: what a bf16 round trip leaves.</summary>
    public static float Round(float value) => ToSingle(FromSingle(value));
}
