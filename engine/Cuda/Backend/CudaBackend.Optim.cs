using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cuda.Backend;

// The fused AdamW step: fp32 parameters and moments updated in place.
public sealed partial class CudaBackend
{
    public void AdamWStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWStepArgs args)
    {
        KernelFamily.FloatSuffix(grad.DType, "adamw gradient");
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
        _adamw.Step(grad.DType, n, Address(param), Address(g), Address(m), Address(v), args, gradScale: 1f, weightsOut: 0);
    }
}
