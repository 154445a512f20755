using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Backend;
using StyleAlign.Engine.FusedOps.LogProbs;
using static StyleAlign.Tests.Cuda.Conformance.Conformance;

namespace StyleAlign.Tests.Cuda;

/// <summary>
/// The row passes of the chunked linear + log-prob (kernels/logprob.cu) against the CPU's chunk kernels, launched through
/// the engine's <see cref="LogprobKernels"/> directly (the fused op itself is compared in FusedLogProbsConformanceTests): a chunk whose rows are padded (leading
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
        var kernels = new LogprobKernels(new KernelLauncher(context));

        var padded = RoundedOracle(Random(31, Rows, Stride) * 3.0, dtype);
        var logits = padded.Narrow(1, 0, Vocab).Contiguous();
        var targets = Tensor.FromArray(Enumerable.Range(0, Rows).Select(i => i % 9 == 4 ? -1L : (i * 7919L) % Vocab).ToArray());
        var gradLogProbs = Random(32, Rows);
        var gradEntropy = Random(33, Rows);
        foreach (var withEntropy in new[] { true, false })
        {
            var (logProbs, lse, entropy) = (Tensor.Zeros(new Shape(Rows)), Tensor.Zeros(new Shape(Rows)), Tensor.Zeros(new Shape(Rows)));
            CpuFusedLogProbs.Instance.ChunkForward(logits, targets, 0, Rows, logProbs, lse, withEntropy ? entropy : null);

            var chunk = padded.To(dtype).To(backend.Device);
            var deviceTargets = targets.To(backend.Device);
            var (dLogProbs, dLse, dEntropy) = (backend.NewTensor(new Shape(Rows), DType.F32), backend.NewTensor(new Shape(Rows), DType.F32),
                backend.NewTensor(new Shape(Rows), DType.F32));
            kernels.ChunkForward(dtype, Rows, Stride, Vocab, backend.Address(chunk), backend.Address(deviceTargets),
                backend.Address(dLogProbs), backend.Address(dLse), withEntropy ? backend.Address(dEntropy) : 0);
            Compare($"logprob forward [{dtype}] log-probs", dLogProbs, logProbs, DType.F32);
            Compare($"logprob forward [{dtype}] log-sum-exp", dLse, lse, DType.F32);
            if (withEntropy) Compare($"logprob forward [{dtype}] entropy", dEntropy, entropy, DType.F32);

            // Backward overwrites the chunk with the gradient of the logits, in place (the padding columns stay).
            var expected = logits.Clone();
            CpuFusedLogProbs.Instance.ChunkBackward(expected, targets, 0, Rows, lse, gradLogProbs, withEntropy ? entropy : null,
                withEntropy ? gradEntropy : null);
            var (deviceGradLp, deviceGradEntropy) = (gradLogProbs.To(backend.Device), gradEntropy.To(backend.Device));
            kernels.ChunkBackward(dtype, Rows, Stride, Vocab, backend.Address(chunk), backend.Address(deviceTargets), backend.Address(dLse),
                backend.Address(deviceGradLp), withEntropy ? backend.Address(dEntropy) : 0, withEntropy ? backend.Address(deviceGradEntropy) : 0);
            Compare($"logprob backward [{dtype}] entropy={withEntropy} gradient", chunk.Narrow(1, 0, Vocab), expected, dtype);
            Compare($"logprob backward [{dtype}] padding untouched", chunk.Narrow(1, Vocab, Stride - Vocab), padded.Narrow(1, Vocab, Stride - Vocab), DType.F32);
        }
    }
}
