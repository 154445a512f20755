namespace StyleAlign.Engine.Core;

/// <summary>Element type of a tensor, chosen at run time.</summary>
public enum DType
{
    F32,
    F64,
    BF16,
    F16,
    I32,
    I64,
    U8,
    Bool,
}

public static class DTypeInfo
{
    public static int SizeOf(this DType dtype) => dtype switch
    {
        DType.F64 or DType.I64 => 8,
        DType.F32 or DType.I32 => 4,
        DType.BF16 or DType.F16 => 2,
        DType.U8 or DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static bool IsFloat(this DType dtype) => dtype is DType.F32 or DType.F64 or DType.BF16 or DType.F16;

    public static bool IsInteger(this DType dtype) => dtype is DType.I32 or DType.I64 or DType.U8 or DType.Bool;

    /// <summary>The managed element type that holds one element on the CPU (bf16 is kept as its raw bits).</summary>
    public static Type HostType(this DType dtype) => dtype switch
    {
        DType.F32 => typeof(float),
        DType.F64 => typeof(double),
        DType.BF16 => typeof(ushort),
        DType.F16 => typeof(Half),
        DType.I32 => typeof(int),
        DType.I64 => typeof(long),
        DType.U8 or DType.Bool => typeof(byte),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static DType FromHostType(Type type) =>
        type == typeof(float) ? DType.F32
        : type == typeof(double) ? DType.F64
        : type == typeof(Half) ? DType.F16
        : type == typeof(int) ? DType.I32
        : type == typeof(long) ? DType.I64
        : type == typeof(byte) ? DType.U8
        : type == typeof(bool) ? DType.Bool
        : throw new ArgumentException($"no tensor dtype for host type {type.Name}");

    public static string Name(this DType dtype) => dtype.ToString().ToLowerInvariant();
}
