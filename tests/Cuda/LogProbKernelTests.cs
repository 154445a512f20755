using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;
using StyleAlign.Engine.LogProbs;
using static StyleAlign.Tests.Cuda.Conformance.Conformance;

namespace StyleAlign.Tests.Cuda;

/// <summary>
/// The row passes of the chunked linear + log-prob (kernels/logprob.cu) against the CPU's chunk kernels, launched through
/// <see cref="TestModule"/> until the engine has a CUDA host side for them: a chunk whose rows are padded (leading
/// dimension larger than the vocabulary), an odd vocabulary, ignored targets (−1), entropy on and off, F32 and BF16.
/// </summary>
[TestFixture, Category("Cuda")]
public sealed class LogProbKernelTests
{
    private const int Rows = 37, Vocab = 1003, Stride = 1010;

    [TestCaseSource(typeof(Conformance.Conformance), nameof(FloatTypes))]
    public void ChunkForwardAndBackwardMatchTheCpu(DType dtype)
    {
        var context = CudaTestSupport.RequireDevice();
        var backend = CudaBackend.For(Device.Cuda(context.DeviceIndex));
        var suffix = dtype == DType.F32 ? "f32" : "bf16";
        using var module = TestModule.Family(context, "logprob", []);

        var padded = RoundedOracle(Random(31, Rows, Stride) * 3.0, dtype);
        var logits = padded.Narrow(1, 0, Vocab).Contiguous();
        var targets = Tensor.FromArray(Enumerable.Range(0, Rows).Select(i => i % 9 == 4 ? -1L : (i * 7919L) % Vocab).ToArray());
        var gradLogProbs = Random(32, Rows);
        var gradEntropy = Random(33, Rows);
        foreach (var withEntropy in new[] { true, false })
        {
            var (logProbs, lse, entropy) = (Tensor.Zeros(new Shape(Rows)), Tensor.Zeros(new Shape(Rows)), Tensor.Zeros(new Shape(Rows)));
            CpuLogProbKernels.Instance.ChunkForward(logits, targets, 0, Rows, logProbs, lse, withEntropy ? entropy : null);

            var chunk = padded.To(dtype).To(backend.Device);
            var deviceTargets = targets.To(backend.Device);
            var (dLogProbs, dLse, dEntropy) = (backend.NewTensor(new Shape(Rows), DType.F32), backend.NewTensor(new Shape(Rows), DType.F32),
                backend.NewTensor(new Shape(Rows), DType.F32));
            var rows = new LaunchConfig(new Dim3(Rows), new Dim3(256));
            module.Launch($"logprob_chunk_fwd_{suffix}", rows, new KernelArgs().Pointer(backend.Address(chunk)).Long(Stride).Int(Vocab)
                .Pointer(backend.Address(deviceTargets)).Pointer(backend.Address(dLogProbs)).Pointer(backend.Address(dLse))
                .Pointer(withEntropy ? backend.Address(dEntropy) : 0));
            Compare($"logprob forward [{dtype}] log-probs", dLogProbs, logProbs, DType.F32);
            Compare($"logprob forward [{dtype}] log-sum-exp", dLse, lse, DType.F32);
            if (withEntropy) Compare($"logprob forward [{dtype}] entropy", dEntropy, entropy, DType.F32);

            // Backward overwrites the chunk with the gradient of the logits, in place (the padding columns stay).
            var expected = logits.Clone();
            CpuLogProbKernels.Instance.ChunkBackward(expected, targets, 0, Rows, lse, gradLogProbs, withEntropy ? entropy : null,
                withEntropy ? gradEntropy : null);
            var (deviceGradLp, deviceGradEntropy) = (gradLogProbs.To(backend.Device), gradEntropy.To(backend.Device));
            module.Launch($"logprob_chunk_bwd_{suffix}", rows, new KernelArgs().Pointer(backend.Address(chunk)).Long(Stride).Int(Vocab)
                .Pointer(backend.Address(deviceTargets)).Pointer(backend.Address(dLse)).Pointer(backend.Address(deviceGradLp))
                .Pointer(withEntropy ? backend.Address(dEntropy) : 0).Pointer(withEntropy ? backend.Address(deviceGradEntropy) : 0));
            Compare($"logprob backward [{dtype}] entropy={withEntropy} gradient", chunk.Narrow(1, 0, Vocab), expected, dtype);
            Compare($"logprob backward [{dtype}] padding untouched", chunk.Narrow(1, Vocab, Stride - Vocab), padded.Narrow(1, Vocab, Stride - Vocab), DType.F32);
        }
    }
}
