using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;

namespace StyleAlign.Tests.Cuda;

/// <summary>
/// The attention kernels' tensor-core helpers on one warp, against an exact product: attn_load_a / attn_load_b_nmajor
/// (ldmatrix) or attn_load_b_kmajor (ldmatrix .trans), attn_mma (mma.sync m16n8k16 bf16, fp32 accumulation) and the
/// accumulator layout the kernels write back (row = lane/4 and +8, columns 2·(lane%4) and +1). Small integers keep
/// every product and sum exact, so any misplaced fragment element shows.
/// </summary>
[TestFixture, Category("Cuda")]
public sealed class MmaFragmentTests
{
    private const string Source = """
        #include "attention_common.cuh"
        // C (16 x 16) = A (16 x 16, row-major) · B, B given n-major (b[n][k]) or k-major (b[k][n]), both 16 x 16.
        extern "C" __global__ void mma_16x16x16(const attn_bf16* a, const attn_bf16* b, float* c, int b_kmajor)
        {
            __shared__ __align__(16) attn_bf16 a_tile[16 * ATTN_SMEM_STRIDE];
            __shared__ __align__(16) attn_bf16 b_tile[16 * ATTN_SMEM_STRIDE];
            const int lane = threadIdx.x;
            for (int i = lane; i < 256; i += 32)
            {
                a_tile[(i / 16) * ATTN_SMEM_STRIDE + i % 16] = a[i];
                b_tile[(i / 16) * ATTN_SMEM_STRIDE + i % 16] = b[i];
            }
            __syncthreads();
            attn_u32 fa[4], fb[4];
            attn_load_a(fa, a_tile, 0, 0, lane);
            if (b_kmajor) attn_load_b_kmajor(fb, b_tile, 0, 0, lane);
            else attn_load_b_nmajor(fb, b_tile, 0, 0, lane);
            float left[4] = {0.f, 0.f, 0.f, 0.f}, right[4] = {0.f, 0.f, 0.f, 0.f};
            attn_mma(left, fa, fb[0], fb[1]);
            attn_mma(right, fa, fb[2], fb[3]);
            const int row = lane >> 2, col = (lane & 3) * 2;
            for (int half = 0; half < 2; ++half)
            {
                const int r = row + 8 * half;
                c[r * 16 + col] = left[2 * half];
                c[r * 16 + col + 1] = left[2 * half + 1];
                c[r * 16 + 8 + col] = right[2 * half];
                c[r * 16 + 8 + col + 1] = right[2 * half + 1];
            }
        }
        """;

    [TestCase(false), TestCase(true)]
    public void OneWarpTileProductIsExact(bool bKMajor)
    {
        var context = CudaTestSupport.RequireDevice();
        var backend = CudaBackend.For(Device.Cuda(context.DeviceIndex));
        var a = new double[256];
        var b = new double[256]; // as stored: b[n][k] when n-major, b[k][n] when k-major
        for (var i = 0; i < 16; i++)
            for (var j = 0; j < 16; j++)
            {
                a[i * 16 + j] = (i * 3 + j * 5) % 7 - 3;
                b[i * 16 + j] = (i * 2 + j * 3) % 5 - 2 + 0.5 * (j % 2);
            }
        var expected = new float[256];
        for (var i = 0; i < 16; i++)
            for (var n = 0; n < 16; n++)
            {
                double sum = 0;
                for (var k = 0; k < 16; k++) sum += a[i * 16 + k] * (bKMajor ? b[k * 16 + n] : b[n * 16 + k]);
                expected[i * 16 + n] = (float)sum;
            }
        var da = Tensor.FromDoubles(a, new Shape(256), DType.BF16, backend.Device);
        var db = Tensor.FromDoubles(b, new Shape(256), DType.BF16, backend.Device);
        var dc = backend.NewTensor(new Shape(256), DType.F32);
        using var module = TestModule.Compile(context, "mma_fragments", Source);
        module.Launch("mma_16x16x16", new LaunchConfig(new Dim3(1), new Dim3(32)),
            new KernelArgs().Pointer(backend.Address(da)).Pointer(backend.Address(db)).Pointer(backend.Address(dc)).Int(bKMajor ? 1 : 0));
        CudaComparisons.Record();
        Assert.That(dc.ToFloatArray(), Is.EqualTo(expected), $"A·B with B {(bKMajor ? "k-major (ldmatrix .trans)" : "n-major (ldmatrix)")}");
    }
}
