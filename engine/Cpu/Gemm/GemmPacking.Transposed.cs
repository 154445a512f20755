using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace StyleAlign.Engine.Cpu;

internal static unsafe partial class GemmPacking
{
    /// <summary>
    /// Packs one full float B panel (nr columns, a multiple of 16) from transposed storage, where each column of
    /// op(B) is a contiguous run along k (a linear layer's weight row): 16 columns × 16 k at a time are loaded as
    /// 16 vectors, widened if bf16, transposed in registers and stored as 16 panel rows. Element by element this
    /// is a strided scatter, with which the 300-token decoder projections took 1.36–1.56× as long per core
    /// (docs/performance.md).
    /// </summary>
    /// <returns>false where AVX-512 is missing or the storage is not contiguous along k: the caller packs element-wise.</returns>
    public static bool TryPackTransposedPanel<TSource>(StridedMatrix<TSource> b, int kStart, int depth, int firstCol, int nr, float* panel)
        where TSource : unmanaged
    {
        if (!Avx512F.IsSupported || b.RowStride != 1 || nr % 16 != 0) return false;
        if (typeof(TSource) != typeof(float) && typeof(TSource) != typeof(ushort)) return false;
        nint ld = b.ColStride;
        for (int group = 0; group < nr; group += 16)
        {
            TSource* column = b.At(kStart, firstCol + group);
            float* dst = panel + group;
            int p = 0;
            for (; p + 16 <= depth; p += 16)
                Transpose16(column + p, ld, dst + (nint)p * nr, nr);
            for (; p < depth; p++)
                for (int j = 0; j < 16; j++)
                    dst[(nint)p * nr + j] = GemmElement.Widen<TSource, float>(column[j * ld + p]);
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load16<TSource>(TSource* src) where TSource : unmanaged
    {
        if (typeof(TSource) == typeof(float)) return Vector512.Load((float*)src);
        // bf16 → float: zero-extend each 16-bit value into a 32-bit lane, then move it to the top half.
        return (Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)src)) << 16).AsSingle();
    }

    /// <summary>
    /// dst[p·ldDst + j] = src[j·ldSrc + p] for a 16×16 block: unpack 32-bit pairs, unpack 64-bit pairs, then two
    /// rounds of 128-bit lane shuffles (after the unpacks, lane L of u[4b+c] holds rows 4b..4b+3 at column 4L+c).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose16<TSource>(TSource* src, nint ldSrc, float* dst, nint ldDst) where TSource : unmanaged
    {
        var r0 = Load16(src); var r1 = Load16(src + ldSrc); var r2 = Load16(src + 2 * ldSrc); var r3 = Load16(src + 3 * ldSrc);
        var r4 = Load16(src + 4 * ldSrc); var r5 = Load16(src + 5 * ldSrc); var r6 = Load16(src + 6 * ldSrc); var r7 = Load16(src + 7 * ldSrc);
        var r8 = Load16(src + 8 * ldSrc); var r9 = Load16(src + 9 * ldSrc); var r10 = Load16(src + 10 * ldSrc); var r11 = Load16(src + 11 * ldSrc);
        var r12 = Load16(src + 12 * ldSrc); var r13 = Load16(src + 13 * ldSrc); var r14 = Load16(src + 14 * ldSrc); var r15 = Load16(src + 15 * ldSrc);

        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);

        var u0 = UnpackLow64(t0, t2); var u1 = UnpackHigh64(t0, t2); var u2 = UnpackLow64(t1, t3); var u3 = UnpackHigh64(t1, t3);
        var u4 = UnpackLow64(t4, t6); var u5 = UnpackHigh64(t4, t6); var u6 = UnpackLow64(t5, t7); var u7 = UnpackHigh64(t5, t7);
        var u8 = UnpackLow64(t8, t10); var u9 = UnpackHigh64(t8, t10); var u10 = UnpackLow64(t9, t11); var u11 = UnpackHigh64(t9, t11);
        var u12 = UnpackLow64(t12, t14); var u13 = UnpackHigh64(t12, t14); var u14 = UnpackLow64(t13, t15); var u15 = UnpackHigh64(t13, t15);

        StoreColumn(u0, u4, u8, u12, dst, ldDst);
        StoreColumn(u1, u5, u9, u13, dst + ldDst, ldDst);
        StoreColumn(u2, u6, u10, u14, dst + 2 * ldDst, ldDst);
        StoreColumn(u3, u7, u11, u15, dst + 3 * ldDst, ldDst);
    }

    /// <summary>
    /// Given the four u vectors of one column offset c (rows 0–3, 4–7, 8–11, 12–15), stores output rows c, c+4, c+8
    /// and c+12: output row 4L+c takes lane L of each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreColumn(Vector512<float> rows0, Vector512<float> rows4, Vector512<float> rows8, Vector512<float> rows12,
        float* dst, nint ldDst)
    {
        const byte LowLanes = 0x44, HighLanes = 0xEE, EvenLanes = 0x88, OddLanes = 0xDD;
        var low0 = Avx512F.Shuffle4x128(rows0, rows4, LowLanes);
        var high0 = Avx512F.Shuffle4x128(rows0, rows4, HighLanes);
        var low8 = Avx512F.Shuffle4x128(rows8, rows12, LowLanes);
        var high8 = Avx512F.Shuffle4x128(rows8, rows12, HighLanes);
        Vector512.Store(Avx512F.Shuffle4x128(low0, low8, EvenLanes), dst);
        Vector512.Store(Avx512F.Shuffle4x128(low0, low8, OddLanes), dst + 4 * ldDst);
        Vector512.Store(Avx512F.Shuffle4x128(high0, high8, EvenLanes), dst + 8 * ldDst);
        Vector512.Store(Avx512F.Shuffle4x128(high0, high8, OddLanes), dst + 12 * ldDst);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> UnpackLow64(Vector512<float> x, Vector512<float> y)
        => Avx512F.UnpackLow(x.AsDouble(), y.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> UnpackHigh64(Vector512<float> x, Vector512<float> y)
        => Avx512F.UnpackHigh(x.AsDouble(), y.AsDouble()).AsSingle();
}
