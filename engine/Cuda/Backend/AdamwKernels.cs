using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cuda.Backend;

/// <summary>Launches kernels/adamw.cu: one fused AdamW step over n fp32 parameters and moments, in place.</summary>
public sealed class AdamwKernels(IKernelLauncher launcher) : KernelFamily(launcher, "adamw")
{
    /// <param name="gradScale">multiplies the gradient first (clipping or accumulation)</param>
    /// <param name="weightsOut">an optional bf16 copy of the updated parameters (0 for none)</param>
    public void Step(DType gradType, long n, ulong param, ulong grad, ulong m, ulong v, AdamWStepArgs args, float gradScale, ulong weightsOut) =>
        Launch($"adamw_step_{FloatSuffix(gradType, "adamw gradient")}", LaunchConfig.ForElements(n), new KernelArgs().Long(n)
            .Pointer(param).Pointer(grad).Pointer(m).Pointer(v)
            .Float((float)args.LearningRate).Float((float)args.Beta1).Float((float)args.Beta2).Float((float)args.Epsilon)
            .Float((float)args.WeightDecay).Float((float)args.BiasCorrection1).Float((float)args.BiasCorrection2)
            .Float(gradScale).Pointer(weightsOut));
}
