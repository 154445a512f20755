using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cuda.Backend;

// The fused AdamW step: fp32 parameters and moments updated in place.
public sealed partial class CudaBackend
{
    public void AdamWStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWStepArgs args)
    {
        var kernel = CudaKernelNames.AdamW(grad.DType);
        foreach (var (t, name) in new[] { (param, "parameter"), (m, "m"), (v, "v") })
        {
            if (t.DType != DType.F32) throw new NotSupportedException($"adamw on CUDA keeps {name} in F32, got {t.DType} ({param.Name ?? "unnamed parameter"})");
            if (!t.IsContiguous) throw new ArgumentException($"adamw updates {name} in place and needs it contiguous, got {t.Layout}");
        }
        foreach (var (t, name) in new[] { (grad, "grad"), (m, "m"), (v, "v") })
            if (t.Shape != param.Shape) throw new ArgumentException($"adamw: {name} {t.Shape} does not match parameter {param.Name ?? ""} {param.Shape}");
        var n = param.NumElements;
        if (n == 0) return;
        using var scratch = new Scratch(this);
        var g = scratch.Dense(grad);
        Launch(kernel, LaunchConfig.ForElements(n), new KernelArgs().Long(n)
            .Pointer(Address(param)).Pointer(Address(g)).Pointer(Address(m)).Pointer(Address(v))
            .Float((float)args.LearningRate).Float((float)args.Beta1).Float((float)args.Beta2).Float((float)args.Epsilon)
            .Float((float)args.WeightDecay).Float((float)args.BiasCorrection1).Float((float)args.BiasCorrection2)
            .Float(1f).Null());
    }
}
