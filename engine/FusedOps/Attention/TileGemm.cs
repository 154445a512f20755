using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StyleAlign.Engine.FusedOps.Attention;

/// <summary>
/// C[m×n] += A[m×k]·B[k×n] on small tiles, for the CPU attention. A is read through any (row, column)
/// strides, so Pᵀ and dSᵀ need no copy; B rows are contiguous (row stride ldb); C is row-major (row stride
/// ldc). The kernel keeps 4 rows × 2 vectors of C in registers and broadcasts A, the outer-product form that
/// needs no horizontal sums.
/// </summary>
internal static partial class TileGemm
{
    public static void MultiplyAdd<T>(int m, int n, int k, ReadOnlySpan<T> a, int aRowStride, int aColStride, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated && n >= Lanes512)
        {
            var covered = MultiplyAddFloat512(m, n, k, MemoryMarshal.Cast<T, float>(a), aRowStride, aColStride, MemoryMarshal.Cast<T, float>(b), ldb, MemoryMarshal.Cast<T, float>(c), ldc);
            if (covered == n) return;
            b = b[covered..];
            c = c[covered..];
            n -= covered;
        }
        var width = Vector<T>.Count;
        var i = 0;
        for (; i + 4 <= m; i += 4)
        {
            var j = 0;
            for (; j + 2 * width <= n; j += 2 * width) Block4x2(k, a, i, aRowStride, aColStride, b, ldb, c, ldc, j, width);
            for (; j + width <= n; j += width) Block4x1(k, a, i, aRowStride, aColStride, b, ldb, c, ldc, j);
            for (; j < n; j++)
                for (var r = 0; r < 4; r++) c[(i + r) * ldc + j] += ScalarDot(k, a, (i + r) * aRowStride, aColStride, b, ldb, j);
        }
        for (; i < m; i++)
        {
            var j = 0;
            for (; j + width <= n; j += width)
            {
                var acc = new Vector<T>(c.Slice(i * ldc + j));
                for (var p = 0; p < k; p++) acc += new Vector<T>(a[i * aRowStride + p * aColStride]) * new Vector<T>(b.Slice(p * ldb + j));
                acc.CopyTo(c.Slice(i * ldc + j));
            }
            for (; j < n; j++) c[i * ldc + j] += ScalarDot(k, a, i * aRowStride, aColStride, b, ldb, j);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x2<T>(int k, ReadOnlySpan<T> a, int i, int aRowStride, int aColStride, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, int j, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c00 = new Vector<T>(c.Slice(i * ldc + j));
        var c01 = new Vector<T>(c.Slice(i * ldc + j + width));
        var c10 = new Vector<T>(c.Slice((i + 1) * ldc + j));
        var c11 = new Vector<T>(c.Slice((i + 1) * ldc + j + width));
        var c20 = new Vector<T>(c.Slice((i + 2) * ldc + j));
        var c21 = new Vector<T>(c.Slice((i + 2) * ldc + j + width));
        var c30 = new Vector<T>(c.Slice((i + 3) * ldc + j));
        var c31 = new Vector<T>(c.Slice((i + 3) * ldc + j + width));
        var a0 = i * aRowStride;
        for (var p = 0; p < k; p++)
        {
            var b0 = new Vector<T>(b.Slice(p * ldb + j));
            var b1 = new Vector<T>(b.Slice(p * ldb + j + width));
            var ap = a0 + p * aColStride;
            var x = new Vector<T>(a[ap]);
            c00 += x * b0;
            c01 += x * b1;
            x = new Vector<T>(a[ap + aRowStride]);
            c10 += x * b0;
            c11 += x * b1;
            x = new Vector<T>(a[ap + 2 * aRowStride]);
            c20 += x * b0;
            c21 += x * b1;
            x = new Vector<T>(a[ap + 3 * aRowStride]);
            c30 += x * b0;
            c31 += x * b1;
        }
        c00.CopyTo(c.Slice(i * ldc + j));
        c01.CopyTo(c.Slice(i * ldc + j + width));
        c10.CopyTo(c.Slice((i + 1) * ldc + j));
        c11.CopyTo(c.Slice((i + 1) * ldc + j + width));
        c20.CopyTo(c.Slice((i + 2) * ldc + j));
        c21.CopyTo(c.Slice((i + 2) * ldc + j + width));
        c30.CopyTo(c.Slice((i + 3) * ldc + j));
        c31.CopyTo(c.Slice((i + 3) * ldc + j + width));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4x1<T>(int k, ReadOnlySpan<T> a, int i, int aRowStride, int aColStride, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, int j)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var c0 = new Vector<T>(c.Slice(i * ldc + j));
        var c1 = new Vector<T>(c.Slice((i + 1) * ldc + j));
        var c2 = new Vector<T>(c.Slice((i + 2) * ldc + j));
        var c3 = new Vector<T>(c.Slice((i + 3) * ldc + j));
        for (var p = 0; p < k; p++)
        {
            var bp = new Vector<T>(b.Slice(p * ldb + j));
            var ap = i * aRowStride + p * aColStride;
            c0 += new Vector<T>(a[ap]) * bp;
            c1 += new Vector<T>(a[ap + aRowStride]) * bp;
            c2 += new Vector<T>(a[ap + 2 * aRowStride]) * bp;
            c3 += new Vector<T>(a[ap + 3 * aRowStride]) * bp;
        }
        c0.CopyTo(c.Slice(i * ldc + j));
        c1.CopyTo(c.Slice((i + 1) * ldc + j));
        c2.CopyTo(c.Slice((i + 2) * ldc + j));
        c3.CopyTo(c.Slice((i + 3) * ldc + j));
    }

    private static T ScalarDot<T>(int k, ReadOnlySpan<T> a, int aStart, int aColStride, ReadOnlySpan<T> b, int ldb, int j)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var sum = T.Zero;
        for (var p = 0; p < k; p++) sum += a[aStart + p * aColStride] * b[p * ldb + j];
        return sum;
    }

    /// <summary>dst[d×rows] = src rows (row stride srcStride, d columns) transposed: Kᵀ tiles for Q·Kᵀ.</summary>
    public static void Transpose<T>(ReadOnlySpan<T> src, int rows, int d, int srcStride, Span<T> dst, int ldDst)
    {
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < d; c++) dst[c * ldDst + r] = src[r * srcStride + c];
    }
}
