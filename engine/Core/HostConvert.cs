namespace StyleAlign.Engine.Core;

/// <summary>Conversions between host arrays of the dtypes' host types and float64, element by element.</summary>
internal static class HostConvert
{
    public static Array FromDoubles(double[] v, DType dtype)
    {
        switch (dtype)
        {
            case DType.F64: return (double[])v.Clone();
            case DType.F32: return Array.ConvertAll(v, x => (float)x);
            case DType.BF16: return Array.ConvertAll(v, x => BFloat16Bits.FromSingle((float)x));
            case DType.F16: return Array.ConvertAll(v, x => (Half)x);
            case DType.I32: return Array.ConvertAll(v, x => checked((int)x));
            case DType.I64: return Array.ConvertAll(v, x => checked((long)x));
            case DType.U8: return Array.ConvertAll(v, x => checked((byte)x));
            case DType.Bool: return Array.ConvertAll(v, x => x != 0 ? (byte)1 : (byte)0);
            default: throw new ArgumentOutOfRangeException(nameof(dtype));
        }
    }

    public static double[] ToDoubles(Array host, DType dtype) => dtype switch
    {
        DType.F64 => (double[])((double[])host).Clone(),
        DType.F32 => Array.ConvertAll((float[])host, x => (double)x),
        DType.BF16 => Array.ConvertAll((ushort[])host, x => (double)BFloat16Bits.ToSingle(x)),
        DType.F16 => Array.ConvertAll((Half[])host, x => (double)x),
        DType.I32 => Array.ConvertAll((int[])host, x => (double)x),
        DType.I64 => Array.ConvertAll((long[])host, x => (double)x),
        DType.U8 or DType.Bool => Array.ConvertAll((byte[])host, x => (double)x),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };
}
