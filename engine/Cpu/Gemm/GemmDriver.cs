using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace StyleAlign.Engine.Cpu;

/// <summary>Micro-tile shape, cache-block sizes and the kernel that goes with them.</summary>
internal readonly unsafe struct GemmPlan<T> where T : unmanaged, INumber<T>
{
    public required int Mr { get; init; }
    public required int Nr { get; init; }
    /// <summary>Rows of A per block: MC×KC of packed A stays in the per-core L2.</summary>
    public required int Mc { get; init; }
    /// <summary>Depth per block: one KC×NR panel of packed B is reused from L1/L2 while the kernel sweeps A panels.</summary>
    public required int Kc { get; init; }
    /// <summary>Columns of B per block: KC×NC of packed B is shared by all cores from L3.</summary>
    public required int Nc { get; init; }
    public required delegate*<int, T*, T*, T*, nint, void> Kernel { get; init; }

    public static GemmPlan<T> For(GemmKernelKind kind)
    {
        if (kind == GemmKernelKind.Auto)
        {
            kind = Vector512.IsHardwareAccelerated ? GemmKernelKind.Vector512
                : Vector256.IsHardwareAccelerated ? GemmKernelKind.Vector256
                : GemmKernelKind.Scalar;
        }
        // KC is deep enough to amortise loading and storing the C tile; the B micro-panel then spills from L1
        // to L2, which still feeds the kernel faster than it consumes (measured: 384..768 all within noise).
        int kc = sizeof(T) == 4 ? 512 : 256;
        return kind switch
        {
            GemmKernelKind.Vector512 => new GemmPlan<T>
            {
                Mr = GemmKernels.Vector512Rows, Nr = 2 * Vector512<T>.Count, Mc = 96, Kc = kc, Nc = 4096,
                Kernel = &GemmKernels.Kernel512<T>,
            },
            GemmKernelKind.Vector256 => new GemmPlan<T>
            {
                Mr = GemmKernels.Vector256Rows, Nr = 2 * Vector256<T>.Count, Mc = 96, Kc = kc, Nc = 4096,
                Kernel = &GemmKernels.Kernel256<T>,
            },
            _ => new GemmPlan<T>
            {
                Mr = GemmKernels.ScalarRows, Nr = GemmKernels.ScalarColumns, Mc = 64, Kc = kc, Nc = 1024,
                Kernel = &GemmKernels.KernelScalar<T>,
            },
        };
    }
}

/// <summary>
/// The blocked GEMM loop nest: NC columns of B, then KC deep slices (B packed once, shared), then MC row
/// blocks of A handed out to threads, each sweeping NR-wide B panels × MR-high A panels with the micro-kernel.
/// C is only accumulated into here; scaling by beta happens before.
/// </summary>
internal static unsafe class GemmDriver
{
    private const int Alignment = 64;

    public static void Accumulate<TA, TB, T>(GemmKernelKind kind, int m, int n, int k, T alpha,
        StridedMatrix<TA> a, StridedMatrix<TB> b, T* c, nint ldc, int threads)
        where TA : unmanaged where TB : unmanaged where T : unmanaged, INumber<T>
    {
        var plan = GemmPlan<T>.For(kind);
        int mr = plan.Mr, nr = plan.Nr;

        int[] rowStarts = PartitionRows(m, mr, plan.Mc, threads);
        int rowBlocks = rowStarts.Length - 1;
        int mc = 0;
        for (int i = 0; i < rowBlocks; i++) mc = Math.Max(mc, rowStarts[i + 1] - rowStarts[i]);

        int ncMax = Math.Min(RoundUp(n, nr), plan.Nc);
        int kcMax = Math.Min(k, plan.Kc);
        // With too few row blocks for the threads (short, wide products), the B panels are split as well.
        int columnSplit = rowBlocks >= threads ? 1 : CeilDiv(threads, rowBlocks);

        T* packedB = (T*)NativeMemory.AlignedAlloc((nuint)((long)kcMax * ncMax * sizeof(T)), Alignment);
        try
        {
            for (int jc = 0; jc < n; jc += ncMax)
            {
                int nc = Math.Min(ncMax, n - jc);
                int panelsB = CeilDiv(nc, nr);
                for (int pc = 0; pc < k; pc += kcMax)
                {
                    int kc = Math.Min(kcMax, k - pc);
                    PackBParallel(b, pc, kc, jc, nc, nr, packedB, threads);

                    var block = new BlockJob<TA, T>
                    {
                        Plan = plan, A = a, PackedB = packedB, C = c, Ldc = ldc, Alpha = alpha,
                        RowStarts = rowStarts, Kc = kc, Pc = pc, Jc = jc, Nc = nc, PanelsB = panelsB, ColumnSplit = columnSplit,
                    };
                    int jobs = rowBlocks * columnSplit;
                    if (threads <= 1 || jobs == 1)
                    {
                        T* packedA = AllocA<T>(mc, kc, mr);
                        try { for (int job = 0; job < jobs; job++) block.Run(job, packedA); }
                        finally { NativeMemory.AlignedFree(packedA); }
                    }
                    else
                    {
                        Parallel.For(0, jobs, new ParallelOptions { MaxDegreeOfParallelism = threads },
                            () => (nint)AllocA<T>(mc, kc, mr),
                            (job, _, buffer) => { block.Run(job, (T*)buffer); return buffer; },
                            buffer => NativeMemory.AlignedFree((void*)buffer));
                    }
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(packedB);
        }
    }

    private static T* AllocA<T>(int mc, int kc, int mr) where T : unmanaged
        => (T*)NativeMemory.AlignedAlloc((nuint)((long)RoundUp(mc, mr) * kc * sizeof(T)), Alignment);

    private static void PackBParallel<TB, T>(StridedMatrix<TB> b, int pc, int kc, int jc, int nc, int nr, T* packedB, int threads)
        where TB : unmanaged where T : unmanaged, INumber<T>
    {
        int panels = CeilDiv(nc, nr);
        int chunks = Math.Min(threads, panels);
        // Packing is O(k·n) against O(m·n·k) compute; only split it when there is enough to share.
        if (chunks <= 1 || (long)kc * nc < 64 * 1024)
        {
            GemmPacking.PackB(b, pc, kc, jc, nc, nr, packedB);
            return;
        }
        int panelsPerChunk = CeilDiv(panels, chunks);
        nint dst = (nint)packedB;
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads }, chunk =>
        {
            int firstCol = chunk * panelsPerChunk * nr;
            if (firstCol >= nc) return;
            int cols = Math.Min(panelsPerChunk * nr, nc - firstCol);
            GemmPacking.PackB(b, pc, kc, jc + firstCol, cols, nr, (T*)dst + (nint)firstCol * kc);
        });
    }

    /// <summary>
    /// Splits the m rows into blocks of whole micro-panels, at most about MC rows each, such that every thread
    /// gets the same number of blocks and nearly the same number of panels (dynamic scheduling alone would
    /// leave e.g. 6 blocks against 5 for 11 blocks on two threads). Returns block starts plus m at the end.
    /// </summary>
    internal static int[] PartitionRows(int m, int mr, int mc, int threads)
    {
        int panels = CeilDiv(m, mr);
        int shares = Math.Max(1, Math.Min(threads, panels));
        int panelsPerBlock = Math.Max(1, mc / mr);
        var starts = new List<int>();
        for (int share = 0; share < shares; share++)
        {
            int first = (int)((long)panels * share / shares), last = (int)((long)panels * (share + 1) / shares);
            int blocks = CeilDiv(last - first, panelsPerBlock);
            for (int block = 0; block < blocks; block++)
                starts.Add((first + (int)((long)(last - first) * block / blocks)) * mr);
        }
        starts.Add(m);
        return starts.ToArray();
    }

    internal static int CeilDiv(int x, int y) => (x + y - 1) / y;

    internal static int RoundUp(int x, int multiple) => CeilDiv(x, multiple) * multiple;

    /// <summary>One KC slice of the product for one MC row block (and one share of the B panels).</summary>
    private struct BlockJob<TA, T> where TA : unmanaged where T : unmanaged, INumber<T>
    {
        public GemmPlan<T> Plan;
        public StridedMatrix<TA> A;
        public T* PackedB;
        public T* C;
        public nint Ldc;
        public T Alpha;
        public int[] RowStarts;
        public int Kc, Pc, Jc, Nc, PanelsB, ColumnSplit;

        public readonly void Run(int job, T* packedA)
        {
            int rowBlock = job / ColumnSplit, split = job % ColumnSplit;
            int ic = RowStarts[rowBlock];
            int mc = RowStarts[rowBlock + 1] - ic;
            int panelsPerSplit = CeilDiv(PanelsB, ColumnSplit);
            int firstPanel = split * panelsPerSplit;
            int lastPanel = Math.Min(PanelsB, firstPanel + panelsPerSplit);
            if (firstPanel >= lastPanel) return;

            int mr = Plan.Mr, nr = Plan.Nr, kc = Kc;
            GemmPacking.PackA(A, ic, mc, Pc, kc, mr, Alpha, packedA);
            var kernel = Plan.Kernel;
            T* edgeTile = stackalloc T[mr * nr];
            for (int jp = firstPanel; jp < lastPanel; jp++)
            {
                int col = jp * nr;
                int cols = Math.Min(nr, Nc - col);
                T* bPanel = PackedB + (nint)col * kc;
                T* cColumn = C + (nint)ic * Ldc + Jc + col;
                for (int row = 0; row < mc; row += mr)
                {
                    int rows = Math.Min(mr, mc - row);
                    T* aPanel = packedA + (nint)row * kc;
                    T* cTile = cColumn + row * Ldc;
                    if (rows == mr && cols == nr)
                    {
                        kernel(kc, aPanel, bPanel, cTile, Ldc);
                        continue;
                    }
                    // Ragged edge: run the full tile into scratch, then add only the part inside C.
                    new Span<T>(edgeTile, mr * nr).Clear();
                    kernel(kc, aPanel, bPanel, edgeTile, nr);
                    for (int r = 0; r < rows; r++)
                        for (int j = 0; j < cols; j++) cTile[r * Ldc + j] += edgeTile[r * nr + j];
                }
            }
        }
    }
}
