using NUnit.Framework;
using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Nn;
using static StyleAlign.Tests.Cuda.Conformance.Conformance;

namespace StyleAlign.Tests.Cuda.Conformance;

[TestFixture, Category("Cuda")]
public sealed class CheckpointConformanceTests
{
    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(CheckpointOp))]
    public void CheckpointedBlockRecomputesOnTheDevice(DType dtype)
    {
        // The recomputation runs on the input's device; gradients reach the input and the parameters the block reads.
        Check("checkpointed block", dtype, [Random(60, 6, 8), Random(61, 8, 8) * 0.3, Random(62, 8)], [0, 1, 2],
            t => CheckpointOp.Apply(h => h + Functional.Linear(h, t[1], t[2]).Tanh() * h, t[0]));
    }
}
