using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;

namespace StyleAlign.Tests.Cpu;

[TestFixture]
[Category("Unit")]
public partial class GemmTests
{
    private static readonly (bool TransA, bool TransB)[] Transposes = [(false, false), (false, true), (true, false), (true, true)];

    // Kernels are internal, so test cases name them as strings.
    // Odd sizes around the micro-tile (6, 12, 32) and block (KC = 256) edges.
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (1, 1, 1), (7, 5, 3), (1, 33, 7), (33, 1, 65), (13, 65, 33), (65, 33, 257), (257, 129, 65), (5, 700, 300),
    ];

    public static IEnumerable<TestCaseData> KernelCases()
    {
        var kinds = new List<GemmKernelKind> { GemmKernelKind.Auto, GemmKernelKind.Vector256, GemmKernelKind.Scalar };
        if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated) kinds.Add(GemmKernelKind.Vector512);
        foreach (var kind in kinds)
            foreach (var (ta, tb) in Transposes)
                yield return new TestCaseData(kind.ToString(), ta, tb).SetArgDisplayNames(kind.ToString(), $"{(ta ? "T" : "N")}{(tb ? "T" : "N")}");
    }

    [TestCaseSource(nameof(KernelCases))]
    public void Sgemm_MatchesNaiveProduct(string kernel, bool transA, bool transB)
    {
        var kind = Enum.Parse<GemmKernelKind>(kernel);
        var random = new Random(17);
        foreach (var (m, n, k) in Shapes)
        {
            // Leading dimensions wider than the stored width catch any code that assumes packed rows.
            var problem = Problem.Create(random, transA, transB, m, n, k, pad: 3);
            float alpha = 0.75f, beta = -1.5f;
            var c = problem.C.Select(v => (float)v).ToArray();
            CpuGemm.Gemm(kind, transA, transB, m, n, k, alpha, problem.AFloat, problem.Lda, problem.BFloat, problem.Ldb, beta, c, problem.Ldc);
            var expected = problem.Reference(alpha, beta);
            AssertClose(c, expected, problem, Tolerance(k, 1e-6), $"{kind} {m}x{n}x{k}");
        }
    }

    [TestCaseSource(nameof(KernelCases))]
    public void Dgemm_MatchesNaiveProduct(string kernel, bool transA, bool transB)
    {
        var kind = Enum.Parse<GemmKernelKind>(kernel);
        var random = new Random(23);
        foreach (var (m, n, k) in Shapes)
        {
            var problem = Problem.Create(random, transA, transB, m, n, k, pad: 2);
            var c = (double[])problem.C.Clone();
            CpuGemm.Gemm(kind, transA, transB, m, n, k, -1.25, problem.A, problem.Lda, problem.B, problem.Ldb, 0.5, c, problem.Ldc);
            AssertClose(c, problem.Reference(-1.25, 0.5), problem, Tolerance(k, 1e-14), $"{kind} {m}x{n}x{k}");
        }
    }

    [Test]
    public void Sgemm_WiderThanOneColumnBlock_MatchesNaiveProduct()
    {
        // n above NC = 4096 runs two column blocks; k above KC runs several depth slices.
        var problem = Problem.Create(new Random(5), false, true, 3, 4200, 300, pad: 0);
        var c = problem.C.Select(v => (float)v).ToArray();
        CpuGemm.Sgemm(false, true, 3, 4200, 300, 1f, problem.AFloat, problem.Lda, problem.BFloat, problem.Ldb, 1f, c, problem.Ldc);
        AssertClose(c, problem.Reference(1, 1), problem, Tolerance(300, 1e-6), "3x4200x300");
    }

    [Test]
    public void Sgemm_BetaZero_OverwritesNaN()
    {
        float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8];
        float[] c = [float.NaN, float.NaN, float.NaN, float.NaN];
        CpuGemm.Sgemm(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
        Assert.That(c, Is.EqualTo(new float[] { 19, 22, 43, 50 }));
    }

    [Test]
    public void Sgemm_ZeroDepth_OnlyScalesC()
    {
        float[] c = [1, 2, 3, 4];
        CpuGemm.Sgemm(false, false, 2, 2, 0, 1f, [], 1, [], 2, 2f, c, 2);
        Assert.That(c, Is.EqualTo(new float[] { 2, 4, 6, 8 }));
    }

    [Test]
    public void Sgemm_ShortSpan_ThrowsNamingTheOperand()
    {
        var a = new float[2 * 3];
        var b = new float[3 * 4 - 1];
        var c = new float[2 * 4];
        var error = Assert.Throws<ArgumentException>(() => CpuGemm.Sgemm(false, false, 2, 4, 3, 1f, a, 3, b, 4, 0f, c, 4));
        Assert.That(error!.Message, Does.Contain("operand B").And.Contain("needs 12"));
        Assert.Throws<ArgumentException>(() => CpuGemm.Sgemm(false, false, 2, 4, 3, 1f, a, 2, new float[12], 4, 0f, c, 4));
    }

    [TestCase(0L, 1L)]
    [TestCase(1L, 0L)]
    [TestCase(1L, 1L)]
    public void SgemmBatched_MatchesPerItemProducts(long broadcastA, long broadcastB)
    {
        // broadcast = 0 gives that operand stride 0: the same matrix for every batch item.
        const int batch = 5, m = 9, n = 40, k = 70;
        var random = new Random(31);
        var items = Enumerable.Range(0, batch).Select(_ => Problem.Create(random, true, false, m, n, k, pad: 1)).ToArray();
        long strideA = broadcastA * items[0].A.Length, strideB = broadcastB * items[0].B.Length, strideC = items[0].C.Length + 4;
        var a = Concat(items.Select(p => p.A), strideA == 0 ? 1 : batch, items[0].A.Length);
        var b = Concat(items.Select(p => p.B), strideB == 0 ? 1 : batch, items[0].B.Length);
        var c = new float[strideC * batch];
        for (int i = 0; i < batch; i++) Array.Copy(items[i].C.Select(v => (float)v).ToArray(), 0, c, i * strideC, items[i].C.Length);

        CpuGemm.SgemmBatched(true, false, m, n, k, 2f, a.Select(v => (float)v).ToArray(), items[0].Lda,
            b.Select(v => (float)v).ToArray(), items[0].Ldb, 0.5f, c, items[0].Ldc, batch, strideA, strideB, strideC);

        for (int i = 0; i < batch; i++)
        {
            var reference = items[i] with { A = strideA == 0 ? items[0].A : items[i].A, B = strideB == 0 ? items[0].B : items[i].B };
            var got = c.AsSpan((int)(i * strideC), items[i].C.Length).ToArray();
            AssertClose(got, reference.Reference(2, 0.5), reference, Tolerance(k, 1e-6), $"batch item {i}");
            Assert.That(c.AsSpan((int)(i * strideC) + items[i].C.Length, 4).ToArray(), Is.All.EqualTo(0f), "padding between items must stay untouched");
        }
    }

    [Test]
    public void DgemmBatched_LargeItems_MatchPerItemProducts()
    {
        // Items above the per-problem threshold run one after another, each split over the threads.
        const int batch = 2, m = 300, n = 260, k = 270;
        var random = new Random(41);
        var items = Enumerable.Range(0, batch).Select(_ => Problem.Create(random, false, true, m, n, k, pad: 0)).ToArray();
        var a = items.SelectMany(p => p.A).ToArray();
        var b = items[0].B;
        var c = items.SelectMany(p => p.C).ToArray();
        CpuGemm.DgemmBatched(false, true, m, n, k, 1, a, items[0].Lda, b, items[0].Ldb, 1, c, items[0].Ldc,
            batch, items[0].A.Length, 0, items[0].C.Length);
        for (int i = 0; i < batch; i++)
        {
            var reference = items[i] with { B = b };
            AssertClose(c.AsSpan(i * items[0].C.Length, items[0].C.Length).ToArray(), reference.Reference(1, 1), reference,
                Tolerance(k, 1e-14), $"batch item {i}");
        }
    }

    [Test]
    public void SgemmBatched_ZeroStrideC_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            CpuGemm.SgemmBatched(false, false, 2, 2, 2, 1f, new float[8], 2, new float[8], 2, 0f, new float[4], 2, 2, 4, 4, 0));
        Assert.That(error!.Message, Does.Contain("stride of C"));
    }

    /// <summary>Rounding grows with the depth of each dot product; a wrong result is off by O(1).</summary>
    private static double Tolerance(int k, double unit) => unit * (8 + 4.0 * k);

    private static double[] Concat(IEnumerable<double[]> parts, int count, int stride)
    {
        var result = new double[(long)stride * count];
        int i = 0;
        foreach (var part in parts.Take(count)) part.CopyTo(result, i++ * stride);
        return result;
    }

    private static void AssertClose<T>(T[] actual, double[] expected, Problem problem, double tolerance, string what)
        where T : System.Numerics.INumber<T>
    {
        for (int i = 0; i < problem.M; i++)
            for (int j = 0; j < problem.Ldc; j++)
            {
                int index = i * problem.Ldc + j;
                if (index >= expected.Length) break;
                double got = double.CreateChecked(actual[index]);
                if (Math.Abs(got - expected[index]) > tolerance)
                    Assert.Fail($"{what}: C[{i},{j}] = {got}, expected {expected[index]} (tolerance {tolerance:G3})");
            }
    }

    /// <summary>A random problem stored with padded leading dimensions, and its reference product in double.</summary>
    private sealed record Problem(bool TransA, bool TransB, int M, int N, int K, double[] A, int Lda, double[] B, int Ldb, double[] C, int Ldc)
    {
        public float[] AFloat => A.Select(v => (float)v).ToArray();
        public float[] BFloat => B.Select(v => (float)v).ToArray();

        /// <summary>With <paramref name="bf16A"/> / <paramref name="bf16B"/> that operand holds values exact in bf16.</summary>
        public static Problem Create(Random random, bool transA, bool transB, int m, int n, int k, int pad,
            bool bf16A = false, bool bf16B = false)
        {
            int aRows = transA ? k : m, aCols = transA ? m : k;
            int bRows = transB ? n : k, bCols = transB ? k : n;
            int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
            // Values are exact in float so both precisions start from the same inputs.
            double[] Fill(int count, bool bf16) => Enumerable.Range(0, count)
                .Select(_ => (float)(random.NextDouble() * 2 - 1))
                .Select(v => (double)(bf16 ? BFloat16Bits.Round(v) : v)).ToArray();
            return new Problem(transA, transB, m, n, k, Fill((aRows - 1) * lda + aCols, bf16A), lda,
                Fill((bRows - 1) * ldb + bCols, bf16B), ldb, Fill((m - 1) * ldc + n, false), ldc);
        }

        /// <summary>alpha·op(A)·op(B) + beta·C by the definition; padding columns of C keep their values.</summary>
        public double[] Reference(double alpha, double beta)
        {
            var result = (double[])C.Clone();
            double[] a = A, b = B;
            // Element strides of op(A) along k and of op(B) along k.
            int aRow = TransA ? 1 : Lda, aStep = TransA ? Lda : 1, bCol = TransB ? Ldb : 1, bStep = TransB ? 1 : Ldb;
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++)
                {
                    double sum = 0;
                    for (int p = 0, ia = i * aRow, ib = j * bCol; p < K; p++, ia += aStep, ib += bStep) sum += a[ia] * b[ib];
                    result[i * Ldc + j] = alpha * sum + beta * C[i * Ldc + j];
                }
            return result;
        }
    }
}
