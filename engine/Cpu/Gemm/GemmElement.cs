using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cpu;

/// <summary>
/// The element types a GEMM operand may be stored in, and their conversion to the type the micro-kernel computes
/// in. Operands are either the compute type itself, or bf16 (raw bits in a <see cref="ushort"/>, as the engine
/// stores BF16 tensors) widened to float. Widening bf16 is exact (a 16-bit shift), so a product of bf16 inputs
/// differs from the float product of the same values only by the order of the float accumulation.
/// </summary>
internal static unsafe class GemmElement
{
    /// <summary>Whether a GEMM computing in <typeparamref name="T"/> can read operands stored as <typeparamref name="TSource"/>.</summary>
    public static bool CanWiden<TSource, T>() where TSource : unmanaged where T : unmanaged
        => typeof(TSource) == typeof(T) || (typeof(TSource) == typeof(ushort) && typeof(T) == typeof(float));

    public static void RequireWidenable<TSource, T>(string operand) where TSource : unmanaged where T : unmanaged
    {
        if (!CanWiden<TSource, T>())
            throw new NotSupportedException(
                $"GEMM operand {operand} is stored as {Describe<TSource>()} but the product computes in {Describe<T>()}: only the same type, or bf16 into float, is supported.");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Widen<TSource, T>(TSource value) where TSource : unmanaged where T : unmanaged, INumber<T>
    {
        if (typeof(TSource) == typeof(T)) return Unsafe.As<TSource, T>(ref value);
        if (typeof(TSource) == typeof(ushort) && typeof(T) == typeof(float))
        {
            float widened = BFloat16Bits.ToSingle(Unsafe.As<TSource, ushort>(ref value));
            return Unsafe.As<float, T>(ref widened);
        }
        throw new NotSupportedException($"no widening from {typeof(TSource).Name} to {typeof(T).Name}");
    }

    /// <summary>dst[i] = float(src[i]) for a contiguous run of bf16 values, 32 or 16 at a time where SIMD allows.</summary>
    public static void WidenBf16Run(ushort* src, float* dst, int count)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= count - 32; i += 32)
            {
                var bits = Vector512.Load(src + i);
                Vector512.Store((Vector512.WidenLower(bits) << 16).AsSingle(), dst + i);
                Vector512.Store((Vector512.WidenUpper(bits) << 16).AsSingle(), dst + i + 16);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - 16; i += 16)
            {
                var bits = Vector256.Load(src + i);
                Vector256.Store((Vector256.WidenLower(bits) << 16).AsSingle(), dst + i);
                Vector256.Store((Vector256.WidenUpper(bits) << 16).AsSingle(), dst + i + 8);
            }
        }
        for (; i < count; i++) dst[i] = BFloat16Bits.ToSingle(src[i]);
    }

    private static string Describe<T>() => typeof(T) == typeof(ushort) ? "bf16" : typeof(T).Name;
}
