using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;
using StyleAlign.Engine.Cuda.Interop;
using StyleAlign.Engine.FusedOps.Attention;

namespace StyleAlign.Tests.Cuda;

/// <summary>
/// One test per documented limit of the CUDA path: the driver's launch limits (threads per block, grid y and z, dynamic
/// shared memory above 48 KB only after raising the function's attribute, __launch_bounds__) and the backend's
/// refusal to compute in F64. Each checks both sides: the largest allowed value works, the next one is refused.
/// </summary>
[TestFixture, Category("Cuda")]
public sealed unsafe class CudaLimitTests
{
    private const string SharedSource = """
        extern "C" __global__ void reverse_through_shared(float* out, int n)
        {
            extern __shared__ float buffer[];
            for (int i = threadIdx.x; i < n; i += blockDim.x) buffer[i] = 0.5f * (float)i;
            __syncthreads();
            for (int i = threadIdx.x; i < n; i += blockDim.x) out[i] = buffer[n - 1 - i];
        }
        """;

    private static (CudaContext Context, CudaBackend Backend) Device()
    {
        var context = CudaTestSupport.RequireDevice();
        return (context, CudaBackend.For(Engine.Core.Device.Cuda(context.DeviceIndex)));
    }

    private static CudaException Refused(Action launch)
    {
        var error = Assert.Throws<CudaException>(() => launch())!;
        TestContext.Progress.WriteLine($"cuda-limit refused: {error.Message}");
        return error;
    }

    /// <summary>tensor.cu's fill through the engine's launcher class, at the geometry a limit test chooses.</summary>
    private static TensorKernels FillAt(CudaContext context, Dim3 grid, Dim3 block) =>
        new(new LaunchGeometryOverride(new KernelLauncher(context), _ => new LaunchConfig(grid, block)));

    [Test]
    public void ABlockHoldsAtMost1024Threads()
    {
        var (context, backend) = Device();
        var y = backend.NewTensor(new Shape(3000), DType.F32);
        var bits = BitConverter.SingleToUInt32Bits(2.5f);
        FillAt(context, new Dim3(2), new Dim3(1024)).Fill(DType.F32, 3000, backend.Address(y), bits);
        CudaComparisons.Record();
        Assert.That(y.ToFloatArray(), Is.All.EqualTo(2.5f), "1024 threads per block run");
        var error = Refused(() => FillAt(context, new Dim3(2), new Dim3(1025)).Fill(DType.F32, 3000, backend.Address(y), bits));
        Assert.That(error.ErrorName, Does.Contain("CUDA_ERROR_INVALID_VALUE"));
    }

    [Test]
    public void GridYAndZHoldAtMost65535Blocks()
    {
        var (context, backend) = Device();
        var y = backend.NewTensor(new Shape(5), DType.F32);
        var bits = BitConverter.SingleToUInt32Bits(-1f);
        FillAt(context, new Dim3(1, 65535), new Dim3(1)).Fill(DType.F32, 5, backend.Address(y), bits);
        context.Synchronize();
        CudaComparisons.Record();
        Assert.That(y.ToFloatArray(), Is.All.EqualTo(-1f), "65535 blocks in y run");
        Assert.That(Refused(() => FillAt(context, new Dim3(1, 65536), new Dim3(1)).Fill(DType.F32, 5, backend.Address(y), bits)).ErrorName,
            Does.Contain("CUDA_ERROR_INVALID_VALUE"));
        Assert.That(Refused(() => FillAt(context, new Dim3(1, 1, 65536), new Dim3(1)).Fill(DType.F32, 5, backend.Address(y), bits)).ErrorName,
            Does.Contain("CUDA_ERROR_INVALID_VALUE"));
    }

    [Test]
    public void DynamicSharedMemoryAbove48KbWorksOnlyAfterTheAttributeIsRaised()
    {
        var (context, backend) = Device();
        const int n = 16384; // 64 KB of floats
        var y = backend.NewTensor(new Shape(n), DType.F32);
        var args = new KernelArgs().Pointer(backend.Address(y)).Int(n);
        var config = new LaunchConfig(new Dim3(1), new Dim3(256), n * 4);

        // A raw launch of a fresh function: the attribute is still at its default, so more than 48 KB is refused.
        using (var fresh = TestModule.Compile(context, "shared_limit", SharedSource))
        {
            var function = fresh.Function("reverse_through_shared");
            var error = Refused(() => args.WithParameterPointers(parameters =>
            {
                var result = CuDriver.cuLaunchKernel(function, 1, 1, 1, 256, 1, 1, (uint)(n * 4), context.Stream, (void**)parameters, null);
                if (result != CuDriver.Success) throw new CudaException("cuLaunchKernel(reverse_through_shared, 64 KB)", result, CuDriver.ErrorName(result));
            }));
            Assert.That(error.ErrorName, Does.Contain("CUDA_ERROR_INVALID_VALUE"));
        }

        // Through the engine's launcher, which raises CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES above 48 KB.
        using var module = TestModule.Compile(context, "shared_limit", SharedSource);
        module.Launch("reverse_through_shared", config, args);
        var expected = Enumerable.Range(0, n).Select(i => 0.5f * (n - 1 - i)).ToArray();
        CudaComparisons.Record();
        Assert.That(y.ToFloatArray(), Is.EqualTo(expected), "every byte of the 64 KB buffer round-trips");
    }

    [Test]
    public void LaunchBoundsCapTheBlock()
    {
        var context = CudaTestSupport.RequireDevice();
        // attention_decode_bf16 is declared __launch_bounds__(128); 256 threads cannot run it.
        var decode = new AttentionKernels(new LaunchGeometryOverride(new KernelLauncher(context), c => c with { Block = new Dim3(256) }));
        var error = Refused(() => decode.Decode(batch: 1, maxTokens: 1, headsQ: 1, headsKv: 1, headDim: 64, scale: 1, 0, 0, 0, 0, 0));
        Assert.That(error.ErrorName, Does.Contain("CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES").Or.Contain("CUDA_ERROR_INVALID_VALUE"));
    }

    [Test]
    public void F64IsStoredButNotComputedOn()
    {
        var (_, backend) = Device();
        var x = Tensor.FromDoubles([1.5, -2, 3], new Shape(3), DType.F64, backend.Device);
        CudaComparisons.Record();
        Assert.That(x.To(Engine.Core.Device.Cpu).ToDoubleArray(), Is.EqualTo(new[] { 1.5, -2, 3 }), "F64 is stored and transferred");
        var error = Assert.Throws<NotSupportedException>(() => x.Exp())!;
        Assert.That(error.Message, Does.Contain("F64").And.Contain("unary"));
    }
}
