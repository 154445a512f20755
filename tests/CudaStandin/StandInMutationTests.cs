using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;
using StyleAlign.Engine.FusedOps.Attention;
using StyleAlign.Tests.Cuda;
using static StyleAlign.Tests.CudaStandin.StandInSupport;
using static StyleAlign.Tests.Cuda.Conformance.Conformance;

namespace StyleAlign.Tests.CudaStandin;

/// <summary>
/// Proof that the stand-in catches kernel bugs: each case compiles a deliberately broken variant of a real kernel (an
/// edit of kernels/*.cu or *.cuh as embedded) and asserts the stand-in reports it — as a named fault, or as results that
/// differ from the CPU beyond the conformance tolerance. The unbroken kernels pass the same comparisons in the Cuda tests.
/// </summary>
[TestFixture, Category("Cuda")]
public sealed class StandInMutationTests
{
    private const int Rows = 9, Columns = 300;

    private static CudaBackend Backend(CudaContext context) => CudaBackend.For(Device.Cuda(context.DeviceIndex));

    /// <summary>Runs rmsnorm_fwd_f32 or layernorm_fwd_f32 of a (broken) norms module over [Rows, Columns] and synchronizes.</summary>
    private static void RunNorm(CudaContext context, EditedKernels kernels, bool layerNorm)
    {
        var backend = Backend(context);
        var x = Random(81, Rows, Columns).To(backend.Device);
        var w = Uniform(82, 0.5, 1.5, Columns).To(backend.Device);
        var y = backend.NewTensor(x.Shape, DType.F32);
        var stats = backend.NewTensor(new Shape(Rows), DType.F32);
        var norms = new NormsKernels(kernels);
        if (layerNorm)
            norms.LayerNormForward(DType.F32, Rows, Columns, backend.Address(x), backend.Address(w), backend.Address(w), 1e-5f,
                backend.Address(y), backend.Address(stats), 0);
        else
            norms.RmsNormForward(DType.F32, Rows, Columns, backend.Address(x), backend.Address(w), 1e-6f, backend.Address(y), backend.Address(stats));
        context.Synchronize();
    }

    [Test]
    public void DroppedBarrierBeforeReadingTheWarpPartialsIsARace()
    {
        var context = RequireStandIn();
        using var kernels = new EditedKernels(context, new SourceEdit("common.cuh",
            "    if (lane == 0) scratch[warp] = v;\n    __syncthreads();\n    v = lane < warps ? scratch[lane] : 0.0f;",
            "    if (lane == 0) scratch[warp] = v;\n    v = lane < warps ? scratch[lane] : 0.0f;"));
        ExpectFault(() => RunNorm(context, kernels, layerNorm: false), "CUDA_ERROR_LAUNCH_FAILED", "shared-memory race", "scratch", "rmsnorm_fwd_f32");
    }

    [Test]
    public void DroppedBarrierBeforeReusingTheScratchIsARace()
    {
        var context = RequireStandIn();
        // LayerNorm reduces twice through one scratch array: without the first barrier the second reduction's writes
        // overtake the first one's reads.
        using var kernels = new EditedKernels(context, new SourceEdit("common.cuh",
            "    v = warp_sum(v);\n    __syncthreads();\n    if (lane == 0) scratch[warp] = v;",
            "    v = warp_sum(v);\n    if (lane == 0) scratch[warp] = v;"));
        ExpectFault(() => RunNorm(context, kernels, layerNorm: true), "CUDA_ERROR_LAUNCH_FAILED", "shared-memory race", "layernorm_fwd_f32");
    }

    private static double AttentionForwardViolation(CudaContext context, params SourceEdit[] edits)
    {
        var segments = new AttentionSegments([0, 70, 71, 201], [0, 70, 71, 201]);
        var options = new AttentionOptions(Causal: true, 1 / Math.Sqrt(64));
        var (q, k, v) = AttentionKernelTests.RoundedInputs(91, segments, 64);
        using var edited = new EditedKernels(context, edits);
        var kernels = new CudaFusedAttention(CudaBackend.For(Device.Cuda(context.DeviceIndex)), edited);
        var (output, _) = kernels.Forward(AttentionKernelTests.OnDevice(q), AttentionKernelTests.OnDevice(k), AttentionKernelTests.OnDevice(v), segments, options);
        var expected = CpuFusedAttention.Instance.Forward(q, k, v, segments, options).Output;
        var violation = WorstViolation(output, expected, DType.BF16);
        TestContext.Progress.WriteLine($"cuda-standin mutant attention output: worst element at {violation:G3} of its tolerance");
        return violation;
    }

    [Test]
    public void OffByOneCausalMaskGivesWrongAttention()
    {
        var context = RequireStandIn();
        Assert.That(AttentionForwardViolation(context), Is.LessThanOrEqualTo(1), "the unbroken kernel matches");
        var violation = AttentionForwardViolation(context, new SourceEdit("attention.cu",
            "const bool visible = key < len_k && (!causal || key <= row + diagonal);",
            "const bool visible = key < len_k && (!causal || key < row + diagonal);"));
        Assert.That(violation, Is.GreaterThan(1), "a row that no longer sees its own key must change the output");
    }

    [Test]
    public void SwappedMmaFragmentRegistersGiveWrongAttention()
    {
        var context = RequireStandIn();
        // A's second and third registers hold rows g+8 of columns 0..7 and rows g of columns 8..15: swapping them
        // feeds the tensor core a transposed quarter of P.
        var violation = AttentionForwardViolation(context, new SourceEdit("attention_common.cuh",
            "    a[1] = attn_pack_bf16x2(left[2], left[3]);\n    a[2] = attn_pack_bf16x2(right[0], right[1]);",
            "    a[1] = attn_pack_bf16x2(right[0], right[1]);\n    a[2] = attn_pack_bf16x2(left[2], left[3]);"));
        Assert.That(violation, Is.GreaterThan(1));
    }

    [Test]
    public void MissingCpAsyncWaitIsReadingSharedMemoryInFlight()
    {
        var context = RequireStandIn();
        ExpectFault(() => AttentionForwardViolation(context, new SourceEdit("attention.cu",
                "        attn_cp_async_wait<0>();\n        __syncthreads();\n        if (tile + 1 < key_tiles)",
                "        __syncthreads();\n        if (tile + 1 < key_tiles)")),
            "CUDA_ERROR_LAUNCH_FAILED", "cp.async", "in flight", "v_tile", "attention_fwd_bf16");
    }

    [Test]
    public void OutOfBoundsStoreIsAFault()
    {
        var context = RequireStandIn();
        var backend = Backend(context);
        using var kernels = new EditedKernels(context, new SourceEdit("tensor.cu",
            "store_f(y + i, tensor_unary(op, load_f(x + i), alpha));", "store_f(y + i + 1, tensor_unary(op, load_f(x + i), alpha));"));
        const int n = 1000;
        var x = Random(83, n).To(backend.Device);
        var y = backend.NewTensor(x.Shape, DType.F32);
        ExpectFault(() =>
        {
            new TensorKernels(kernels).UnaryForward(DType.F32, UnaryKind.Exp, n, backend.Address(x), backend.Address(y), 0);
            context.Synchronize();
        }, "CUDA_ERROR_ILLEGAL_ADDRESS", "4-byte global store", "past the end of the 4000-byte allocation", "tensor_unary_fwd_f32");
    }

    [Test]
    public void LaunchWithAnArgumentMissingIsRefused()
    {
        var context = RequireStandIn();
        var backend = Backend(context);
        var x = Random(84, 100).To(backend.Device);
        var y = backend.NewTensor(x.Shape, DType.F32);
        var missingScalar = new KernelArgs().Int((int)UnaryKind.Exp).Long(100).Pointer(backend.Address(x)).Pointer(backend.Address(y));
        var error = Assert.Throws<CudaException>(() =>
            new KernelLauncher(context).Launch(new KernelEntry("tensor", "tensor_unary_fwd_f32"), LaunchConfig.ForElements(100), missingScalar))!;
        TestContext.Progress.WriteLine($"cuda-standin caught: {error.Message}");
        Assert.That(error.ErrorName, Does.Contain("CUDA_ERROR_INVALID_VALUE").And.Contain("takes 5 parameters").And.Contain("passed 4"));
    }
}
