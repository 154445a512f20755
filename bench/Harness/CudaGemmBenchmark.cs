using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;
using StyleAlign.Engine.Cuda.Interop;

namespace StyleAlign.Bench.Harness;

/// <summary>One timed GEMM shape: the best call of the repeats, timed with CUDA events on the compute stream.</summary>
public sealed record CudaGemmTiming(int M, int N, int K, DType DType, string DeviceName, int Repeats, double BestMilliseconds)
{
    public double Tflops => 2.0 * M * N * K / (BestMilliseconds * 1e-3) / 1e12;
}

/// <summary>
/// Times C = A·B through the backend's cuBLAS path (<see cref="CudaGemm.RowMajor"/>), for `bench gemm --device cuda`.
/// The inputs hold a constant: GEMM time does not depend on the values.
/// </summary>
public static unsafe class CudaGemmBenchmark
{
    public static CudaGemmTiming Measure(int m, int n, int k, DType dtype, int repeat, int deviceIndex = 0)
    {
        if (m < 1 || n < 1 || k < 1 || repeat < 1)
            throw new ArgumentException($"GEMM benchmark sizes and repeats must be positive, got {m}×{n}×{k} and {repeat}");
        var type = dtype switch
        {
            DType.F32 => GemmElementType.F32,
            DType.BF16 => GemmElementType.BF16,
            _ => throw new NotSupportedException($"GEMM benchmark on CUDA runs F32 or BF16, not {dtype}"),
        };
        var backend = CudaBackend.For(Device.Cuda(deviceIndex));
        var context = backend.Context;
        using var a = backend.Fill(new Shape(m, k), dtype, 0.5);
        using var b = backend.Fill(new Shape(k, n), dtype, 0.25);
        using var c = backend.NewTensor(new Shape(m, n), dtype);
        void Gemm() => CudaGemm.RowMajor(context, type, false, false, m, n, k, backend.Address(a), backend.Address(b), backend.Address(c));

        Gemm(); // warm-up: cuBLAS picks and loads its kernel on the first call
        context.MakeCurrent();
        IntPtr start, end;
        CudaCheck.Driver(CuDriver.cuEventCreate(&start, 0));
        CudaCheck.Driver(CuDriver.cuEventCreate(&end, 0));
        try
        {
            var best = double.PositiveInfinity;
            for (var i = 0; i < repeat; i++)
            {
                CudaCheck.Driver(CuDriver.cuEventRecord(start, context.Stream));
                Gemm();
                CudaCheck.Driver(CuDriver.cuEventRecord(end, context.Stream));
                CudaCheck.Driver(CuDriver.cuEventSynchronize(end));
                float milliseconds;
                CudaCheck.Driver(CuDriver.cuEventElapsedTime(&milliseconds, start, end));
                best = Math.Min(best, milliseconds);
            }
            return new CudaGemmTiming(m, n, k, dtype, context.DeviceName, repeat, best);
        }
        finally
        {
            CuDriver.cuEventDestroy_v2(start);
            CuDriver.cuEventDestroy_v2(end);
        }
    }
}
