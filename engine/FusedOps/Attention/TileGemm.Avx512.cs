using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StyleAlign.Engine.FusedOps.Attention;

internal static partial class TileGemm
{
    private const int Lanes512 = 16;

    /// <summary>
    /// The fp32 kernel on 512-bit vectors with fused multiply-add, for the columns [0, n − n mod 16); returns how
    /// many columns it covered (the generic kernel takes the rest). Tiles of 4 rows × 4 vectors keep 16
    /// accumulators in the 32 vector registers.
    /// </summary>
    private static int MultiplyAddFloat512(int m, int n, int k, ReadOnlySpan<float> a, int aRowStride, int aColStride, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc)
    {
        var covered = n / Lanes512 * Lanes512;
        if (covered == 0) return 0;
        ref var aRef = ref MemoryMarshal.GetReference(a);
        ref var bRef = ref MemoryMarshal.GetReference(b);
        ref var cRef = ref MemoryMarshal.GetReference(c);
        for (var i = 0; i < m; i += 4)
        {
            var rows = Math.Min(4, m - i);
            var j = 0;
            if (rows == 4)
                for (; j + 4 * Lanes512 <= covered; j += 4 * Lanes512) Block4x4(k, ref aRef, i, aRowStride, aColStride, ref bRef, ldb, ref cRef, ldc, j);
            for (; j < covered; j += Lanes512)
                for (var r = 0; r < rows; r++) Row1x1(k, ref aRef, (i + r) * aRowStride, aColStride, ref bRef, ldb, ref cRef, (i + r) * ldc + j, j);
        }
        return covered;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x4(int k, ref float a, int i, int aRowStride, int aColStride, ref float b, int ldb, ref float c, int ldc, int j)
    {
        var c0 = (nuint)(i * ldc + j);
        var c1 = c0 + (nuint)ldc;
        var c2 = c1 + (nuint)ldc;
        var c3 = c2 + (nuint)ldc;
        var x00 = Vector512.LoadUnsafe(ref c, c0); var x01 = Vector512.LoadUnsafe(ref c, c0 + 16); var x02 = Vector512.LoadUnsafe(ref c, c0 + 32); var x03 = Vector512.LoadUnsafe(ref c, c0 + 48);
        var x10 = Vector512.LoadUnsafe(ref c, c1); var x11 = Vector512.LoadUnsafe(ref c, c1 + 16); var x12 = Vector512.LoadUnsafe(ref c, c1 + 32); var x13 = Vector512.LoadUnsafe(ref c, c1 + 48);
        var x20 = Vector512.LoadUnsafe(ref c, c2); var x21 = Vector512.LoadUnsafe(ref c, c2 + 16); var x22 = Vector512.LoadUnsafe(ref c, c2 + 32); var x23 = Vector512.LoadUnsafe(ref c, c2 + 48);
        var x30 = Vector512.LoadUnsafe(ref c, c3); var x31 = Vector512.LoadUnsafe(ref c, c3 + 16); var x32 = Vector512.LoadUnsafe(ref c, c3 + 32); var x33 = Vector512.LoadUnsafe(ref c, c3 + 48);
        var aRow = i * aRowStride;
        for (var p = 0; p < k; p++)
        {
            var bOffset = (nuint)(p * ldb + j);
            var b0 = Vector512.LoadUnsafe(ref b, bOffset);
            var b1 = Vector512.LoadUnsafe(ref b, bOffset + 16);
            var b2 = Vector512.LoadUnsafe(ref b, bOffset + 32);
            var b3 = Vector512.LoadUnsafe(ref b, bOffset + 48);
            var ap = aRow + p * aColStride;
            var s = Vector512.Create(Unsafe.Add(ref a, ap));
            x00 = Vector512.FusedMultiplyAdd(s, b0, x00); x01 = Vector512.FusedMultiplyAdd(s, b1, x01); x02 = Vector512.FusedMultiplyAdd(s, b2, x02); x03 = Vector512.FusedMultiplyAdd(s, b3, x03);
            s = Vector512.Create(Unsafe.Add(ref a, ap + aRowStride));
            x10 = Vector512.FusedMultiplyAdd(s, b0, x10); x11 = Vector512.FusedMultiplyAdd(s, b1, x11); x12 = Vector512.FusedMultiplyAdd(s, b2, x12); x13 = Vector512.FusedMultiplyAdd(s, b3, x13);
            s = Vector512.Create(Unsafe.Add(ref a, ap + 2 * aRowStride));
            x20 = Vector512.FusedMultiplyAdd(s, b0, x20); x21 = Vector512.FusedMultiplyAdd(s, b1, x21); x22 = Vector512.FusedMultiplyAdd(s, b2, x22); x23 = Vector512.FusedMultiplyAdd(s, b3, x23);
            s = Vector512.Create(Unsafe.Add(ref a, ap + 3 * aRowStride));
            x30 = Vector512.FusedMultiplyAdd(s, b0, x30); x31 = Vector512.FusedMultiplyAdd(s, b1, x31); x32 = Vector512.FusedMultiplyAdd(s, b2, x32); x33 = Vector512.FusedMultiplyAdd(s, b3, x33);
        }
        x00.StoreUnsafe(ref c, c0); x01.StoreUnsafe(ref c, c0 + 16); x02.StoreUnsafe(ref c, c0 + 32); x03.StoreUnsafe(ref c, c0 + 48);
        x10.StoreUnsafe(ref c, c1); x11.StoreUnsafe(ref c, c1 + 16); x12.StoreUnsafe(ref c, c1 + 32); x13.StoreUnsafe(ref c, c1 + 48);
        x20.StoreUnsafe(ref c, c2); x21.StoreUnsafe(ref c, c2 + 16); x22.StoreUnsafe(ref c, c2 + 32); x23.StoreUnsafe(ref c, c2 + 48);
        x30.StoreUnsafe(ref c, c3); x31.StoreUnsafe(ref c, c3 + 16); x32.StoreUnsafe(ref c, c3 + 32); x33.StoreUnsafe(ref c, c3 + 48);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row1x1(int k, ref float a, int aRow, int aColStride, ref float b, int ldb, ref float c, int cOffset, int j)
    {
        var acc = Vector512.LoadUnsafe(ref c, (nuint)cOffset);
        for (var p = 0; p < k; p++)
            acc = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref a, aRow + p * aColStride)), Vector512.LoadUnsafe(ref b, (nuint)(p * ldb + j)), acc);
        acc.StoreUnsafe(ref c, (nuint)cOffset);
    }
}
