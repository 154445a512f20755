using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Interop;

namespace StyleAlign.Tests.Cuda;

/// <summary>
/// cuBLAS's documented GEMM semantics against a plain triple loop, through the engine's bindings: column-major
/// operands, every transpose pair, leading dimensions larger than the rows (padding that must stay untouched), strided
/// batches with a broadcast (stride 0) operand, alpha and beta (beta = 0 must not read C, which holds NaN then), and the
/// F32, TF32-compute, BF16 and BF16-in-F32-out types. Inputs are BF16-representable, so every product is exact and
/// only the fp32 sum and the output rounding differ from the loop.
/// </summary>
[TestFixture, Category("Cuda")]
public sealed unsafe class CublasSemanticsTests
{
    private const int M = 5, N = 7, K = 3, Batch = 3;

    private static IEnumerable<TestCaseData> Cases() =>
        from transA in new[] { false, true }
        from transB in new[] { false, true }
        from types in new[] { "f32", "tf32", "bf16", "bf16_in_f32_out" }
        from beta in new[] { 0f, 1.5f }
        select new TestCaseData(transA, transB, types, beta).SetName($"Gemm_{(transA ? "T" : "N")}{(transB ? "T" : "N")}_{types}_beta{beta}");

    [TestCaseSource(nameof(Cases))]
    public void StridedBatchedGemmMatchesATripleLoop(bool transA, bool transB, string types, float beta)
    {
        var context = CudaTestSupport.RequireDevice();
        var (inputType, outputType, compute) = types switch
        {
            "f32" => (Cublas.DataR32F, Cublas.DataR32F, Cublas.Compute32F),
            "tf32" => (Cublas.DataR32F, Cublas.DataR32F, Cublas.Compute32FFastTF32),
            "bf16" => (Cublas.DataR16BF, Cublas.DataR16BF, Cublas.Compute32F),
            _ => (Cublas.DataR16BF, Cublas.DataR32F, Cublas.Compute32F),
        };
        var (rowsA, colsA) = transA ? (K, M) : (M, K);
        var (rowsB, colsB) = transB ? (N, K) : (K, N);
        int lda = rowsA + 2, ldb = rowsB + 1, ldc = M + 3;
        long strideA = (long)lda * colsA + 4, strideB = 0, strideC = (long)ldc * N + 1; // B is one matrix broadcast over the batch
        var random = new Random(17);
        double Value() => Math.Round(random.NextDouble() * 8 - 4) / 4; // quarter steps in [-4, 4]: exact in BF16
        var a = Enumerable.Range(0, (int)(strideA * Batch)).Select(_ => Value()).ToArray();
        var b = Enumerable.Range(0, ldb * colsB).Select(_ => Value()).ToArray();
        var c = Enumerable.Range(0, (int)(strideC * Batch)).Select(_ => beta == 0 ? double.NaN : Value()).ToArray();
        const float alpha = 0.75f;

        var expected = (double[])c.Clone();
        for (var batch = 0; batch < Batch; batch++)
            for (var j = 0; j < N; j++)
                for (var i = 0; i < M; i++)
                {
                    double sum = 0;
                    for (var p = 0; p < K; p++)
                    {
                        var opA = a[batch * strideA + (transA ? i * lda + p : p * lda + i)];
                        var opB = b[batch * strideB + (transB ? p * ldb + j : j * ldb + p)];
                        sum += opA * opB;
                    }
                    var index = batch * strideC + j * ldc + i;
                    expected[index] = alpha * sum + (beta == 0 ? 0 : beta * c[index]);
                }

        using var da = Upload(context, a, inputType);
        using var db = Upload(context, b, inputType);
        using var dc = Upload(context, c, outputType);
        var (alphaValue, betaValue) = (alpha, beta);
        CudaCheck.Cublas(Cublas.cublasGemmStridedBatchedEx(context.CublasHandle, transA ? Cublas.OpT : Cublas.OpN, transB ? Cublas.OpT : Cublas.OpN,
            M, N, K, &alphaValue, da.Pointer, inputType, lda, strideA, db.Pointer, inputType, ldb, strideB,
            &betaValue, dc.Pointer, outputType, ldc, strideC, Batch, compute, Cublas.GemmDefault));
        var actual = Download(context, dc, c.Length, outputType);

        CudaComparisons.Record();
        var outputTolerance = outputType == Cublas.DataR16BF ? 1.0 / 256 : 1e-6; // one rounding to BF16, or fp32 sums
        for (var index = 0; index < c.Length; index++)
        {
            var inMatrix = index % strideC / ldc < N && index % strideC % ldc < M && index % strideC < (long)ldc * N;
            var what = inMatrix ? "element" : "padding element (must stay untouched)";
            if (double.IsNaN(expected[index]))
                Assert.That(actual[index], Is.NaN, $"{what} {index}");
            else
                Assert.That(actual[index], Is.EqualTo(expected[index]).Within(outputTolerance * Math.Abs(expected[index]) + 1e-6), $"{what} {index}");
        }
    }

    [Test]
    public void ALeadingDimensionShorterThanTheRowsIsRefused()
    {
        var context = CudaTestSupport.RequireDevice();
        using var buffer = context.Allocate(4096);
        float alpha = 1, beta = 0;
        var status = Cublas.cublasGemmStridedBatchedEx(context.CublasHandle, Cublas.OpN, Cublas.OpN, 8, 8, 8, &alpha, buffer.Pointer, Cublas.DataR32F,
            7, 64, buffer.Pointer, Cublas.DataR32F, 8, 64, &beta, buffer.Pointer, Cublas.DataR32F, 8, 64, 1, Cublas.Compute32F, Cublas.GemmDefault);
        Assert.That(Cublas.ErrorName(status), Is.EqualTo("CUBLAS_STATUS_INVALID_VALUE"), "lda 7 < m 8");
    }

    private static DeviceBuffer Upload(CudaContext context, double[] values, int type)
    {
        var buffer = context.Allocate(values.Length * (type == Cublas.DataR32F ? 4L : 2L));
        if (type == Cublas.DataR32F) context.CopyToDevice<float>(values.Select(v => (float)v).ToArray(), buffer);
        else context.CopyToDevice<ushort>(values.Select(v => BFloat16Bits.FromSingle((float)v)).ToArray(), buffer);
        return buffer;
    }

    private static double[] Download(CudaContext context, DeviceBuffer buffer, int count, int type)
    {
        if (type == Cublas.DataR32F)
        {
            var f = new float[count];
            context.CopyToHost<float>(buffer, f);
            return f.Select(v => (double)v).ToArray();
        }
        var h = new ushort[count];
        context.CopyToHost<ushort>(buffer, h);
        return h.Select(v => (double)BFloat16Bits.ToSingle(v)).ToArray();
    }
}
