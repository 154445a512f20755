using System.Runtime.CompilerServices;

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

    /// <summary>The float32 nearest to the bf16 rounding of value: what a bf16 round trip leaves.</summary>
    public static float Round(float value) => ToSingle(FromSingle(value));
}
