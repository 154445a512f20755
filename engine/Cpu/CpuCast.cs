using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cpu;

/// <summary>
/// Element conversions of a cast between storage types, by the rule every device follows (docs/numerics.md): a float
/// becomes an integer by truncation toward zero, saturated at the integer type's limits, NaN giving 0; an integer
/// becomes a narrower integer by keeping its low bits; anything becomes Bool as x ≠ 0. kernels/tensor.cu's cast kernels implement the same rule.
/// </summary>
internal static class CpuCast
{
    public static Array Convert(Array source, DType from, DType to) =>
        from.IsFloat() ? FromFloats(HostConvert.ToDoubles(source, from), to) : FromIntegers(ToLongs(source, from), to);

    /// <summary>Truncates toward zero and saturates at [min, max]; NaN is 0.</summary>
    public static long SaturatingTruncate(double value, long min, long max)
    {
        if (double.IsNaN(value)) return 0;
        // Compared in double: min and max round to powers of two for I64, which is where saturation starts.
        if (value <= min) return min;
        if (value >= max) return max;
        return (long)Math.Truncate(value);
    }

    private static Array FromFloats(double[] v, DType to) => to switch
    {
        DType.F64 => v,
        DType.F32 => Array.ConvertAll(v, x => (float)x),
        DType.BF16 => Array.ConvertAll(v, x => BFloat16Bits.FromSingle((float)x)),
        DType.F16 => Array.ConvertAll(v, x => (Half)x),
        DType.I32 => Array.ConvertAll(v, x => (int)SaturatingTruncate(x, int.MinValue, int.MaxValue)),
        DType.I64 => Array.ConvertAll(v, x => SaturatingTruncate(x, long.MinValue, long.MaxValue)),
        DType.U8 => Array.ConvertAll(v, x => (byte)SaturatingTruncate(x, byte.MinValue, byte.MaxValue)),
        DType.Bool => Array.ConvertAll(v, x => x != 0 ? (byte)1 : (byte)0),
        _ => throw new NotSupportedException($"cast to {to}"),
    };

    private static Array FromIntegers(long[] v, DType to) => to switch
    {
        DType.F64 => Array.ConvertAll(v, x => (double)x),
        DType.F32 => Array.ConvertAll(v, x => (float)(double)x),
        DType.BF16 => Array.ConvertAll(v, x => BFloat16Bits.FromSingle((float)(double)x)),
        DType.F16 => Array.ConvertAll(v, x => (Half)(double)x),
        DType.I32 => Array.ConvertAll(v, x => unchecked((int)x)),
        DType.I64 => v,
        DType.U8 => Array.ConvertAll(v, x => unchecked((byte)x)),
        DType.Bool => Array.ConvertAll(v, x => x != 0 ? (byte)1 : (byte)0),
        _ => throw new NotSupportedException($"cast to {to}"),
    };

    /// <summary>Integer storage widened to I64 (every value exactly, so the low bits survive).</summary>
    private static long[] ToLongs(Array host, DType dtype) => dtype switch
    {
        DType.I64 => (long[])host,
        DType.I32 => Array.ConvertAll((int[])host, x => (long)x),
        DType.U8 or DType.Bool => Array.ConvertAll((byte[])host, x => (long)x),
        _ => throw new NotSupportedException($"{dtype} is not an integer type"),
    };
}
