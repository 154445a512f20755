using System.Runtime.InteropServices;
using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;
using StyleAlign.Engine.Cuda.Interop;
using StyleAlign.Tests.Cuda;
using static StyleAlign.Tests.CudaStandin.StandInSupport;
using static StyleAlign.Tests.Cuda.Conformance.Conformance;

namespace StyleAlign.Tests.CudaStandin;

/// <summary>
/// The checks the stand-in makes that a GPU would not report (or would report as a bare error code), each on a small
/// kernel or an edited real one: every fault must name the kernel, the block and thread, and what was wrong.
/// </summary>
[TestFixture, Category("Cuda")]
public sealed unsafe class StandInCheckTests
{
    private static CudaBackend Backend(CudaContext context) => CudaBackend.For(Device.Cuda(context.DeviceIndex));

    private static void Unary(CudaContext context, ulong x, ulong y, int n)
    {
        new TensorKernels(new KernelLauncher(context)).UnaryForward(DType.F32, UnaryKind.Neg, n, x, y, 0);
        context.Synchronize();
    }

    [Test]
    public void ReadingFreedMemoryIsAFault()
    {
        var context = RequireStandIn();
        var backend = Backend(context);
        var y = backend.NewTensor(new Shape(64), DType.F32);
        var x = Random(101, 64).To(backend.Device);
        var freed = backend.Address(x);
        x.Dispose();
        ExpectFault(() => Unary(context, freed, backend.Address(y), 64),
            "CUDA_ERROR_ILLEGAL_ADDRESS", "use after free", "tensor_unary_fwd_f32", "block (0,0,0)");
    }

    [Test]
    public void ReadingOnePastTheEndIsAFault()
    {
        var context = RequireStandIn();
        var backend = Backend(context);
        var x = Random(102, 64).To(backend.Device);
        var y = backend.NewTensor(new Shape(65), DType.F32);
        ExpectFault(() => Unary(context, backend.Address(x), backend.Address(y), 65),
            "CUDA_ERROR_ILLEGAL_ADDRESS", "4-byte global load", "just past the end of the 256-byte allocation", "thread (64,0,0)");
    }

    [Test]
    public void SharedMemoryOutOfBoundsIsAFault()
    {
        var context = RequireStandIn();
        // 8 warps write their partial sums into a scratch array sized for 4.
        using var kernels = new EditedKernels(context, new SourceEdit("norms.cu", "__shared__ float scratch[32];\n    const i64 base = (i64)blockIdx.x * c;\n    float sumsq",
            "__shared__ float scratch[4];\n    const i64 base = (i64)blockIdx.x * c;\n    float sumsq"));
        ExpectFault(() => RunRmsNorm(context, kernels), "CUDA_ERROR_ILLEGAL_ADDRESS", "out of bounds", "scratch", "rmsnorm_fwd_f32");
    }

    [Test]
    public void ABarrierSomeThreadsNeverReachIsAFault()
    {
        var context = RequireStandIn();
        using var kernels = new EditedKernels(context, new SourceEdit("norms.cu", "    const i64 base = (i64)blockIdx.x * c;\n    float sumsq",
            "    if (threadIdx.x >= 224) return;\n    const i64 base = (i64)blockIdx.x * c;\n    float sumsq"));
        ExpectFault(() => RunRmsNorm(context, kernels), "CUDA_ERROR_LAUNCH_FAILED", "not reached by every thread", "32 of 256 threads had exited");
    }

    [Test]
    public void ABlockReductionNeedsWholeWarps()
    {
        var context = RequireStandIn();
        // block_sum's documented limit: blockDim.x a multiple of 32. With 48 threads the second warp has 16 lanes.
        var fortyEightThreads = new LaunchGeometryOverride(new KernelLauncher(context), c => c with { Block = new Dim3(48) });
        ExpectFault(() => RunRmsNorm(context, fortyEightThreads), "CUDA_ERROR_LAUNCH_FAILED", "lanes this warp does not have");
    }

    /// <summary>rmsnorm_fwd_f32 over [5, 100] through the engine's launcher class (one block of 256 threads per row unless overridden).</summary>
    private static void RunRmsNorm(CudaContext context, IKernelLauncher launcher)
    {
        var backend = Backend(context);
        var x = Random(103, 5, 100).To(backend.Device);
        var w = Uniform(104, 0.5, 1.5, 100).To(backend.Device);
        var y = backend.NewTensor(x.Shape, DType.F32);
        var rstd = backend.NewTensor(new Shape(5), DType.F32);
        new NormsKernels(launcher).RmsNormForward(DType.F32, 5, 100, backend.Address(x), backend.Address(w), 1e-6f, backend.Address(y), backend.Address(rstd));
        context.Synchronize();
    }

    private const string Kernels = """
        #include "common.cuh"
        extern "C" __global__ void misaligned_vector(const float* x, float* y) { const float4_t v = load4(x + 1); y[threadIdx.x] = v.x; }
        extern "C" __global__ void divergent_barriers(float* y)
        {
            if (threadIdx.x < 32) { __syncthreads(); y[threadIdx.x] = 1.0f; }
            else { __syncthreads(); y[threadIdx.x] = 2.0f; }
        }
        extern "C" __global__ void too_much_static_shared(float* y)
        {
            __shared__ float big[12800];
            big[threadIdx.x] = 1.0f;
            __syncthreads();
            y[threadIdx.x] = big[(threadIdx.x + 1) % blockDim.x];
        }
        """;

    private static void RunTestKernel(CudaContext context, string kernel, Func<KernelArgs, KernelArgs> arguments)
    {
        using var module = TestModule.Compile(context, "standin_checks", Kernels);
        module.Launch(kernel, new LaunchConfig(new Dim3(1), new Dim3(64)), arguments(new KernelArgs()));
        context.Synchronize();
    }

    [Test]
    public void MisalignedVectorLoadIsAFault()
    {
        var context = RequireStandIn();
        var backend = Backend(context);
        var x = Random(105, 64).To(backend.Device);
        var y = backend.NewTensor(new Shape(64), DType.F32);
        ExpectFault(() => RunTestKernel(context, "misaligned_vector", a => a.Pointer(backend.Address(x)).Pointer(backend.Address(y))),
            "CUDA_ERROR_MISALIGNED_ADDRESS", "float4_t", "16-byte alignment", "misaligned_vector");
    }

    [Test]
    public void ThreadsWaitingAtDifferentBarriersIsAFault()
    {
        var context = RequireStandIn();
        var y = Backend(context).NewTensor(new Shape(64), DType.F32);
        ExpectFault(() => RunTestKernel(context, "divergent_barriers", a => a.Pointer(Backend(context).Address(y))),
            "CUDA_ERROR_LAUNCH_FAILED", "different barriers");
    }

    [Test]
    public void StaticSharedMemoryAbove48KbIsRefused()
    {
        var context = RequireStandIn();
        var y = Backend(context).NewTensor(new Shape(64), DType.F32);
        ExpectFault(() => RunTestKernel(context, "too_much_static_shared", a => a.Pointer(Backend(context).Address(y))),
            "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "static shared memory", "big");
    }

    [Test]
    public void AnArgumentOfTheWrongSizeIsRefused()
    {
        var context = RequireStandIn();
        var backend = Backend(context);
        var x = Random(106, 10).To(backend.Device);
        var y = backend.NewTensor(x.Shape, DType.F32);
        var narrowCount = new KernelArgs().Int((int)UnaryKind.Neg).Int(10).Pointer(backend.Address(x)).Pointer(backend.Address(y)).Float(0);
        var error = Assert.Throws<CudaException>(() =>
            new KernelLauncher(context).Launch(new KernelEntry("tensor", "tensor_unary_fwd_f32"), LaunchConfig.ForElements(10), narrowCount))!;
        Assert.That(error.ErrorName, Does.Contain("parameter 1").And.Contain("is 8 bytes, the launch passed 4 bytes"));
    }

    [Test]
    public void AResultReadWithoutSynchronizingIsStale()
    {
        var context = RequireStandIn();
        var backend = Backend(context);
        var x = Tensor.FromFloats([1, 2, 3, 4], new Shape(4)).To(backend.Device);
        void* pinned;
        CudaCheck.Driver(CuDriver.cuMemHostAlloc(&pinned, 16, CuDriver.HostAllocPortable));
        try
        {
            CudaCheck.Driver(CuDriver.cuMemcpyDtoHAsync_v2(pinned, backend.Address(x), 16, context.Stream));
            var before = new ReadOnlySpan<float>(pinned, 4).ToArray();
            Assert.That(before, Is.All.NaN, "before the stream is synchronized the destination holds no result");
            context.Synchronize();
            Assert.That(new ReadOnlySpan<float>(pinned, 4).ToArray(), Is.EqualTo(new[] { 1f, 2, 3, 4 }));
        }
        finally
        {
            CuDriver.cuMemFreeHost(pinned);
        }
    }

    private const string LdMatrixKernel = """
        // Lane l supplies the address of row l of a 32 x 8 tile of 16-bit values (value = 8 · row + column).
        extern "C" __global__ void ldmatrix_layouts(unsigned* out, int matrices, int transpose)
        {
            __shared__ __align__(16) unsigned short tile[32 * 8];
            const int lane = threadIdx.x;
            for (int c = 0; c < 8; ++c) tile[lane * 8 + c] = (unsigned short)(lane * 8 + c);
            __syncthreads();
            unsigned r[4] = {0, 0, 0, 0};
            sa_ptx_ldmatrix(r, matrices, transpose != 0, &tile[lane * 8]);
            for (int i = 0; i < 4; ++i) out[lane * 4 + i] = r[i];
        }
        """;

    [Test]
    public void LdMatrixFollowsThePtxFragmentLayout([Values(1, 2, 4)] int matrices, [Values(false, true)] bool transpose)
    {
        var context = RequireStandIn();
        var backend = Backend(context);
        using var module = TestModule.Compile(context, "ldmatrix_layouts", LdMatrixKernel);
        var output = Tensor.Zeros(new Shape(32 * 4), DType.I32, backend.Device);
        module.Launch("ldmatrix_layouts", new LaunchConfig(new Dim3(1), new Dim3(32)),
            new KernelArgs().Pointer(backend.Address(output)).Int(matrices).Int(transpose ? 1 : 0));
        var actual = output.ToArray<int>();
        // Matrix i is rows 8i..8i+7 of the tile; lane l gets row l/4, columns 2(l%4) and 2(l%4)+1 (transposed with .trans).
        static uint Element(int matrix, int row, int column) => (uint)((matrix * 8 + row) * 8 + column);
        for (var lane = 0; lane < 32; lane++)
            for (var i = 0; i < 4; i++)
            {
                var (row, column) = (lane / 4, lane % 4 * 2);
                var expected = i >= matrices ? 0u
                    : transpose ? Element(i, column, row) | Element(i, column + 1, row) << 16
                    : Element(i, row, column) | Element(i, row, column + 1) << 16;
                Assert.That((uint)actual[lane * 4 + i], Is.EqualTo(expected), $".x{matrices}{(transpose ? ".trans" : "")} lane {lane} register {i}");
            }
    }

    [Test]
    public void DoctorSaysItRunsOnTheStandIn()
    {
        RequireStandIn();
        var output = new StringWriter();
        Assert.That(StyleAlign.Cli.Verbs.DoctorVerb.Run(output), Is.EqualTo(0), output.ToString());
        Assert.That(output.ToString(), Does.Contain("STAND-IN").And.Contain("not a GPU").And.Contain("result         : OK"));
    }

    [Test]
    public void ACompileErrorComesBackWithTheCompilerLog()
    {
        var context = RequireStandIn();
        var error = Assert.Throws<CudaException>(() => KernelCompiler.CompileSource("broken_kernel",
            "extern \"C\" __global__ void broken(float* y)\n{\n    y[0] = undefined_value;\n}\n", context.Architecture))!;
        Assert.That(error.ErrorName, Is.EqualTo("NVRTC_ERROR_COMPILATION"));
        Assert.That(error.CompileLog, Does.Contain("broken_kernel.cu:3").And.Contain("undefined_value"));
    }

    [Test]
    public void AnEditedHeaderIsRecompiled()
    {
        var context = RequireStandIn();
        var backend = Backend(context);
        const string source = "#include \"value.cuh\"\nextern \"C\" __global__ void write_value(int* y) { y[threadIdx.x] = VALUE; }\n";
        foreach (var value in new[] { 3, 4, 3 })
        {
            var image = CompileWithHeader(source, "value.cuh", $"#define VALUE {value}\n", context.Architecture);
            IntPtr module;
            fixed (byte* p = image) CudaCheck.Driver(CuDriver.cuModuleLoadData(&module, p));
            try
            {
                IntPtr function;
                var name = "write_value\0"u8.ToArray();
                fixed (byte* n = name) CudaCheck.Driver(CuDriver.cuModuleGetFunction(&function, module, n));
                var y = backend.NewTensor(new Shape(32), DType.I32);
                new KernelLauncher(context).Launch(function, "write_value", new LaunchConfig(new Dim3(1), new Dim3(32)),
                    new KernelArgs().Pointer(backend.Address(y)));
                Assert.That(y.ToArray<int>(), Is.All.EqualTo(value), $"VALUE {value} from the header as given");
            }
            finally
            {
                CuDriver.cuModuleUnload(module);
            }
        }
    }

    private static byte[] CompileWithHeader(string source, string headerName, string header, string architecture)
    {
        var strings = new[] { source, "write_value.cu", header, headerName, $"--gpu-architecture={architecture}" }
            .Select(s => Marshal.StringToCoTaskMemUTF8(s)).ToArray();
        try
        {
            IntPtr program;
            var headerText = (byte*)strings[2];
            var includeName = (byte*)strings[3];
            CudaCheck.Nvrtc(Nvrtc.nvrtcCreateProgram(&program, (byte*)strings[0], (byte*)strings[1], 1, &headerText, &includeName));
            try
            {
                var option = (byte*)strings[4];
                CudaCheck.Nvrtc(Nvrtc.nvrtcCompileProgram(program, 1, &option));
                nuint size;
                CudaCheck.Nvrtc(Nvrtc.nvrtcGetCUBINSize(program, &size));
                var image = new byte[size];
                fixed (byte* p = image) CudaCheck.Nvrtc(Nvrtc.nvrtcGetCUBIN(program, p));
                return image;
            }
            finally
            {
                Nvrtc.nvrtcDestroyProgram(&program);
            }
        }
        finally
        {
            foreach (var s in strings) Marshal.FreeCoTaskMem(s);
        }
    }
}
