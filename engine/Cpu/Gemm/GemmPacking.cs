using System.Numerics;

namespace StyleAlign.Engine.Cpu;

/// <summary>
/// A matrix seen through strides: element (row, col) lives at Data[row·RowStride + col·ColStride].
/// A transposed operand is the same storage with the two strides swapped, so no copy is ever made.
/// </summary>
internal readonly unsafe struct StridedMatrix<T>(T* data, nint rowStride, nint colStride) where T : unmanaged
{
    public readonly T* Data = data;
    public readonly nint RowStride = rowStride;
    public readonly nint ColStride = colStride;

    public T* At(nint row, nint col) => Data + row * RowStride + col * ColStride;
}

/// <summary>
/// Copies blocks of A and B into the contiguous, zero-padded panel layout the micro-kernels stream through,
/// widening bf16 sources to the compute type on the way (see <see cref="GemmElement"/>). Padding the ragged last
/// panel with zeros lets every panel run the full-size kernel.
/// </summary>
internal static unsafe partial class GemmPacking
{
    /// <summary>
    /// Packs A[rowStart.., kStart..] (rows × depth) as ⌈rows/mr⌉ panels of depth×mr, scaled by alpha so the
    /// kernel needs no multiply on the way out.
    /// </summary>
    public static void PackA<TSource, T>(StridedMatrix<TSource> a, int rowStart, int rows, int kStart, int depth, int mr, T alpha, T* dst)
        where TSource : unmanaged where T : unmanaged, INumber<T>
    {
        for (int panelRow = 0; panelRow < rows; panelRow += mr)
        {
            int panelRows = Math.Min(mr, rows - panelRow);
            T* panel = dst + (nint)panelRow * depth;
            if (a.ColStride == 1)
            {
                // Rows of A are contiguous along k: read each row in order, scatter with stride mr.
                for (int r = 0; r < panelRows; r++)
                {
                    TSource* src = a.At(rowStart + panelRow + r, kStart);
                    T* d = panel + r;
                    for (int p = 0; p < depth; p++) d[(nint)p * mr] = alpha * GemmElement.Widen<TSource, T>(src[p]);
                }
            }
            else
            {
                // Columns of A are contiguous along m (transposed storage): each k step is one short run.
                for (int p = 0; p < depth; p++)
                {
                    TSource* src = a.At(rowStart + panelRow, kStart + p);
                    T* d = panel + (nint)p * mr;
                    for (int r = 0; r < panelRows; r++) d[r] = alpha * GemmElement.Widen<TSource, T>(src[r * a.RowStride]);
                }
            }
            if (panelRows < mr)
            {
                for (int p = 0; p < depth; p++)
                    for (int r = panelRows; r < mr; r++) panel[(nint)p * mr + r] = T.Zero;
            }
        }
    }

    /// <summary>Packs B[kStart.., colStart..] (depth × cols) as ⌈cols/nr⌉ panels of depth×nr.</summary>
    public static void PackB<TSource, T>(StridedMatrix<TSource> b, int kStart, int depth, int colStart, int cols, int nr, T* dst)
        where TSource : unmanaged where T : unmanaged, INumber<T>
    {
        for (int panelCol = 0; panelCol < cols; panelCol += nr)
        {
            int panelCols = Math.Min(nr, cols - panelCol);
            T* panel = dst + (nint)panelCol * depth;
            if (b.ColStride == 1)
            {
                // Rows of B are contiguous along n: each k step copies one run of the panel width.
                nint bytes = (nint)panelCols * sizeof(T);
                for (int p = 0; p < depth; p++)
                {
                    T* d = panel + (nint)p * nr;
                    TSource* src = b.At(kStart + p, colStart + panelCol);
                    if (typeof(TSource) == typeof(T)) Buffer.MemoryCopy(src, d, bytes, bytes);
                    else GemmElement.WidenBf16Run((ushort*)src, (float*)d, panelCols);
                    for (int j = panelCols; j < nr; j++) d[j] = T.Zero;
                }
            }
            else
            {
                // Transposed storage: columns of op(B) are contiguous along k.
                bool packed = typeof(T) == typeof(float) && panelCols == nr
                    && TryPackTransposedPanel(b, kStart, depth, colStart + panelCol, nr, (float*)panel);
                if (!packed) PackTransposedElementwise(b, kStart, depth, colStart + panelCol, panelCols, nr, panel);
            }
        }
    }

    private static void PackTransposedElementwise<TSource, T>(StridedMatrix<TSource> b, int kStart, int depth, int firstCol, int panelCols, int nr, T* panel)
        where TSource : unmanaged where T : unmanaged, INumber<T>
    {
        for (int j = 0; j < panelCols; j++)
        {
            TSource* src = b.At(kStart, firstCol + j);
            T* d = panel + j;
            nint rs = b.RowStride;
            for (int p = 0; p < depth; p++) d[(nint)p * nr] = GemmElement.Widen<TSource, T>(src[p * rs]);
        }
        for (int p = 0; p < depth; p++)
            for (int j = panelCols; j < nr; j++) panel[(nint)p * nr + j] = T.Zero;
    }
}
