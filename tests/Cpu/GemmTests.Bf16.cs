using System.Runtime.InteropServices;
using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cpu;

namespace StyleAlign.Tests.Cpu;

/// <summary>
/// GEMM with bf16 operands widened to float. The inputs are exact bf16 values, so every product of two bf16 inputs
/// is exact in float (8 × 8 significant bits) and the result differs from the float64 reference only by float
/// rounding in the accumulation: at most (k + 8)·2⁻²⁴·(|α|·Σ|a||b| + |β·c|) per element (k + 1 roundings along the
/// blocked sum, one for a product with a float operand, one each for α and β, and slack). A bf16-rounded float
/// operand would be off by about 2⁻⁹ relative, far outside that bound.
/// </summary>
public partial class GemmTests
{
    private const double FloatUnitRoundoff = 1.0 / (1 << 24);

    private static readonly string[] Bf16Inputs = ["bf16·bf16", "f32·bf16", "bf16·f32"];

    // The float shapes, plus an odd depth that crosses two KC = 512 slices.
    private static IEnumerable<(int M, int N, int K)> Bf16Shapes => Shapes.Append((29, 45, 1031));

    public static IEnumerable<TestCaseData> Bf16KernelCases()
    {
        foreach (var data in KernelCases())
        {
            var (kernel, transA, transB) = ((string)data.Arguments[0]!, (bool)data.Arguments[1]!, (bool)data.Arguments[2]!);
            foreach (var inputs in Bf16Inputs)
                yield return new TestCaseData(kernel, transA, transB, inputs)
                    .SetArgDisplayNames(kernel, $"{(transA ? "T" : "N")}{(transB ? "T" : "N")}", inputs);
        }
    }

    [TestCaseSource(nameof(Bf16KernelCases))]
    public void SgemmBf16_MatchesFloat64Reference(string kernel, bool transA, bool transB, string inputs)
    {
        var kind = Enum.Parse<GemmKernelKind>(kernel);
        bool bf16A = inputs.StartsWith("bf16"), bf16B = inputs.EndsWith("bf16");
        var random = new Random(29);
        foreach (var (m, n, k) in Bf16Shapes)
        {
            var problem = Problem.Create(random, transA, transB, m, n, k, pad: 3, bf16A, bf16B);
            float alpha = 0.75f, beta = -1.5f;
            var c = problem.C.Select(v => (float)v).ToArray();
            switch (inputs)
            {
                case "bf16·bf16":
                    CpuGemm.Gemm(kind, transA, transB, m, n, k, alpha, ToBf16(problem.A), problem.Lda, ToBf16(problem.B), problem.Ldb, beta, c, problem.Ldc);
                    break;
                case "f32·bf16":
                    CpuGemm.Gemm(kind, transA, transB, m, n, k, alpha, problem.AFloat, problem.Lda, ToBf16(problem.B), problem.Ldb, beta, c, problem.Ldc);
                    break;
                default:
                    CpuGemm.Gemm(kind, transA, transB, m, n, k, alpha, ToBf16(problem.A), problem.Lda, problem.BFloat, problem.Ldb, beta, c, problem.Ldc);
                    break;
            }
            AssertWithinBound(c, problem, alpha, beta, $"{kind} {inputs} {m}x{n}x{k}");
        }
    }

    [Test]
    public void SgemmBf16Batched_WeightInNativeMemory_MatchesFloat64Reference()
    {
        // A bf16 weight stored [N×K] outside the managed heap (as a memory-mapped checkpoint would be), read
        // transposed and broadcast (stride 0) against a batch of float activations.
        const int batch = 3, m = 19, n = 70, k = 45;
        var random = new Random(37);
        var items = Enumerable.Range(0, batch).Select(_ => Problem.Create(random, false, true, m, n, k, pad: 1, bf16B: true)).ToArray();
        var weight = ToBf16(items[0].B);
        long strideA = items[0].A.Length, strideC = items[0].C.Length;
        var a = items.SelectMany(p => p.A).Select(v => (float)v).ToArray();
        var c = items.SelectMany(p => p.C).Select(v => (float)v).ToArray();
        unsafe
        {
            var native = (ushort*)NativeMemory.Alloc((nuint)weight.Length, sizeof(ushort));
            try
            {
                weight.CopyTo(new Span<ushort>(native, weight.Length));
                CpuGemm.SgemmBf16Batched(false, true, m, n, k, 1f, a, items[0].Lda, new ReadOnlySpan<ushort>(native, weight.Length),
                    items[0].Ldb, 0.5f, c, items[0].Ldc, batch, strideA, 0, strideC);
            }
            finally
            {
                NativeMemory.Free(native);
            }
        }
        for (int i = 0; i < batch; i++)
        {
            var reference = items[i] with { B = items[0].B };
            AssertWithinBound(c.AsSpan((int)(i * strideC), (int)strideC).ToArray(), reference, 1, 0.5, $"batch item {i}");
        }
    }

    [Test]
    public void SgemmBf16_UnsupportedElementType_ThrowsNamingTheOperand()
    {
        var error = Assert.Throws<NotSupportedException>(() =>
            CpuGemm.SgemmBf16<double, ushort>(false, false, 1, 1, 1, 1f, new double[1], 1, new ushort[1], 1, 0f, new float[1], 1));
        Assert.That(error!.Message, Does.Contain("operand A").And.Contain("Double"));
        error = Assert.Throws<NotSupportedException>(() =>
            CpuGemm.Gemm(GemmKernelKind.Auto, false, false, 1, 1, 1, 1.0, new double[1], 1, new ushort[1], 1, 0.0, new double[1], 1));
        Assert.That(error!.Message, Does.Contain("operand B").And.Contain("bf16"));
    }

    [Test]
    public unsafe void WidenBf16Run_MatchesScalarWideningForEveryBitPattern()
    {
        // 65 536 patterns (zeros, subnormals, infinities, NaNs) through the vector body and the scalar tail.
        var bits = Enumerable.Range(0, 65536 + 7).Select(i => (ushort)(i * 40503)).ToArray();
        var widened = new float[bits.Length];
        fixed (ushort* src = bits)
        fixed (float* dst = widened)
            GemmElement.WidenBf16Run(src, dst, bits.Length);
        for (int i = 0; i < bits.Length; i++)
            if (BitConverter.SingleToInt32Bits(widened[i]) != BitConverter.SingleToInt32Bits(BFloat16Bits.ToSingle(bits[i])))
                Assert.Fail($"bf16 0x{bits[i]:X4} widened to {widened[i]}, expected {BFloat16Bits.ToSingle(bits[i])}");
    }

    [TestCase(false, 32, 37)]
    [TestCase(true, 32, 37)]
    [TestCase(true, 16, 512)]
    [TestCase(false, 64, 15)]
    public unsafe void TransposedPanelPacking_EqualsElementwisePacking(bool bf16, int nr, int depth)
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported) Assert.Ignore("the register-transposing packer needs AVX-512");
        // B stored n×k with row stride ld > k, read as its transpose from column 3 and depth 5 on.
        const int n = 80, ld = 611, firstCol = 3, kStart = 5;
        var random = new Random(43);
        var values = Enumerable.Range(0, n * ld).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        var bits = Array.ConvertAll(values, BFloat16Bits.FromSingle);
        var fast = new float[nr * depth];
        var reference = new float[nr * depth];
        fixed (float* f = values)
        fixed (ushort* h = bits)
        fixed (float* fastPanel = fast)
        fixed (float* referencePanel = reference)
        {
            bool packed = bf16
                ? GemmPacking.TryPackTransposedPanel(new StridedMatrix<ushort>(h, 1, ld), kStart, depth, firstCol, nr, fastPanel)
                : GemmPacking.TryPackTransposedPanel(new StridedMatrix<float>(f, 1, ld), kStart, depth, firstCol, nr, fastPanel);
            Assert.That(packed, Is.True);
            for (int p = 0; p < depth; p++)
                for (int j = 0; j < nr; j++)
                    referencePanel[p * nr + j] = bf16 ? BFloat16Bits.ToSingle(h[(firstCol + j) * ld + kStart + p]) : f[(firstCol + j) * ld + kStart + p];
        }
        Assert.That(fast, Is.EqualTo(reference));
    }

    private static ushort[] ToBf16(double[] values) => Array.ConvertAll(values, v => BFloat16Bits.FromSingle((float)v));

    /// <summary>Checks C against the float64 reference within the accumulation bound described on the class.</summary>
    private static void AssertWithinBound(float[] c, Problem problem, double alpha, double beta, string what)
    {
        var expected = problem.Reference(alpha, beta);
        var magnitude = (problem with { A = Abs(problem.A), B = Abs(problem.B), C = Abs(problem.C) }).Reference(Math.Abs(alpha), Math.Abs(beta));
        for (int i = 0; i < problem.M; i++)
            for (int j = 0; j < problem.N; j++)
            {
                int index = i * problem.Ldc + j;
                double bound = (problem.K + 8) * FloatUnitRoundoff * magnitude[index];
                if (Math.Abs(c[index] - expected[index]) > bound)
                    Assert.Fail($"{what}: C[{i},{j}] = {c[index]}, expected {expected[index]} (bound {bound:G3}, error {Math.Abs(c[index] - expected[index]):G3})");
            }
        // Padding columns of C lie outside the product and must keep their values.
        for (int i = 0; i < problem.M; i++)
            for (int j = problem.N; j < problem.Ldc && i * problem.Ldc + j < c.Length; j++)
                Assert.That(c[i * problem.Ldc + j], Is.EqualTo((float)problem.C[i * problem.Ldc + j]), $"{what}: padding C[{i},{j}]");
    }

    private static double[] Abs(double[] values) => Array.ConvertAll(values, Math.Abs);
}
