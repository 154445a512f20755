using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda.Backend;

namespace StyleAlign.Engine.Cuda;

/// <summary>Quick end-to-end checks of a device (used by `engine-cli doctor`): one NVRTC kernel and one cuBLAS GEMM, each compared with the CPU.</summary>
public static unsafe class CudaSelfTest
{
    public static bool RunScaleKernel(CudaContext context, TextWriter output)
    {
        const int count = 1 << 20;
        var host = new float[count];
        for (var i = 0; i < count; i++) host[i] = i % 1000 * 0.001f - 0.5f;
        using var x = context.Allocate(count * sizeof(float));
        using var y = context.Allocate(count * sizeof(float));
        context.CopyToDevice<float>(host, x);
        var kernels = new TensorKernels(new KernelLauncher(context));
        void Silu() => kernels.UnaryForward(DType.F32, UnaryKind.Silu, count, x.Pointer, y.Pointer, 0f);
        var started = DateTime.UtcNow;
        Silu(); // compiles or loads from cache
        context.Synchronize();
        var firstMs = (DateTime.UtcNow - started).TotalMilliseconds;
        var kernelMs = context.TimeMilliseconds(Silu);
        var result = new float[count];
        context.CopyToHost<float>(y, result);
        var maxError = 0.0;
        for (var i = 0; i < count; i++)
        {
            var v = (double)host[i];
            maxError = Math.Max(maxError, Math.Abs(result[i] - v / (1 + Math.Exp(-v))));
        }
        var ok = maxError < 1e-5;
        output.WriteLine($"kernel check   : tensor_unary_fwd_f32 (silu, 1M floats) first use {firstMs:F0} ms, then {kernelMs:F3} ms " +
                         $"({2.0 * count * sizeof(float) / (kernelMs * 1e6):F0} GB/s), max error {maxError:E1} → {(ok ? "OK" : "WRONG")}");
        return ok;
    }

    public static bool RunGemm(CudaContext context, TextWriter output)
    {
        const int m = 64, n = 48, k = 32;
        var a = new float[m * k];
        var b = new float[k * n];
        for (var i = 0; i < a.Length; i++) a[i] = (i % 7 - 3) * 0.25f;
        for (var i = 0; i < b.Length; i++) b[i] = (i % 5 - 2) * 0.5f;
        using var da = context.Allocate(a.Length * 4L);
        using var db = context.Allocate(b.Length * 4L);
        using var dc = context.Allocate(m * n * 4L);
        context.CopyToDevice<float>(a, da);
        context.CopyToDevice<float>(b, db);
        CudaGemm.RowMajor(context, GemmElementType.F32, transposeA: false, transposeB: false, m, n, k, da.Pointer, db.Pointer, dc.Pointer);
        var c = new float[m * n];
        context.CopyToHost<float>(dc, c);
        var maxError = 0.0;
        for (var i = 0; i < m; i++)
        for (var j = 0; j < n; j++)
        {
            double expected = 0;
            for (var p = 0; p < k; p++) expected += a[i * k + p] * b[p * n + j];
            maxError = Math.Max(maxError, Math.Abs(c[i * n + j] - expected));
        }
        var ok = maxError < 1e-4;
        output.WriteLine($"cuBLAS check   : row-major f32 GEMM {m}x{n}x{k}, max error {maxError:E1} → {(ok ? "OK" : "WRONG")}");
        return ok;
    }
}
