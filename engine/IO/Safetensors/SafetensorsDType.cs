namespace StyleAlign.Engine.IO;

/// <summary>Element types a safetensors header can name (the spellings Hugging Face writes).</summary>
public enum SafetensorsDType
{
    Bool,
    U8,
    I8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F16,
    BF16,
    F32,
    F64,
}

public static class SafetensorsDTypeExtensions
{
    public static int ElementSize(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.Bool or SafetensorsDType.U8 or SafetensorsDType.I8 => 1,
        SafetensorsDType.I16 or SafetensorsDType.U16 or SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
        SafetensorsDType.I32 or SafetensorsDType.U32 or SafetensorsDType.F32 => 4,
        SafetensorsDType.I64 or SafetensorsDType.U64 or SafetensorsDType.F64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype."),
    };

    /// <summary>The header spelling: "BOOL", "U8", …, "BF16", "F32".</summary>
    public static string ToHeaderName(this SafetensorsDType dtype) =>
        dtype == SafetensorsDType.Bool ? "BOOL" : dtype.ToString();

    public static bool TryParseHeaderName(string name, out SafetensorsDType dtype)
    {
        switch (name)
        {
            case "BOOL": dtype = SafetensorsDType.Bool; return true;
            case "U8": dtype = SafetensorsDType.U8; return true;
            case "I8": dtype = SafetensorsDType.I8; return true;
            case "I16": dtype = SafetensorsDType.I16; return true;
            case "U16": dtype = SafetensorsDType.U16; return true;
            case "I32": dtype = SafetensorsDType.I32; return true;
            case "U32": dtype = SafetensorsDType.U32; return true;
            case "I64": dtype = SafetensorsDType.I64; return true;
            case "U64": dtype = SafetensorsDType.U64; return true;
            case "F16": dtype = SafetensorsDType.F16; return true;
            case "BF16": dtype = SafetensorsDType.BF16; return true;
            case "F32": dtype = SafetensorsDType.F32; return true;
            case "F64": dtype = SafetensorsDType.F64; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>The tensor dtype that holds this element type bit for bit, or null when none does (I8, I16, U16, U32, U64).</summary>
    public static Core.DType? ToTensorDType(this SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F32 => Core.DType.F32,
        SafetensorsDType.F64 => Core.DType.F64,
        SafetensorsDType.BF16 => Core.DType.BF16,
        SafetensorsDType.F16 => Core.DType.F16,
        SafetensorsDType.I32 => Core.DType.I32,
        SafetensorsDType.I64 => Core.DType.I64,
        SafetensorsDType.U8 => Core.DType.U8,
        SafetensorsDType.Bool => Core.DType.Bool,
        _ => null,
    };

    public static bool IsFloatingPoint(this SafetensorsDType dtype) =>
        dtype is SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.F32 or SafetensorsDType.F64;
}
