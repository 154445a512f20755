using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Nn;

public static class GradientClipping
{
    /// <summary>
    /// Scales every gradient in place by maxNorm / (norm + 1e-6) when the global L2 norm over all of them exceeds
    /// maxNorm (torch's clip_grad_norm_ rule). Returns the norm before clipping. A non-finite norm leaves the
    /// gradients untouched, so the caller can skip the step.
    /// </summary>
    public static double ClipGlobalNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        if (maxNorm <= 0) throw new ArgumentOutOfRangeException(nameof(maxNorm), $"max norm {maxNorm} must be positive");
        var grads = parameters.Select(p => p.Grad).OfType<Tensor>().ToList();
        using var noGrad = GradMode.NoGrad();
        var sumOfSquares = 0.0;
        foreach (var g in grads)
            sumOfSquares += TensorScope.Untracked(() =>
            {
                using var wide = g.DType is DType.F32 or DType.F64 ? null : g.To(DType.F32);
                return g.Backend.SumOfSquares(wide ?? g);
            });
        var norm = Math.Sqrt(sumOfSquares);
        var scale = maxNorm / (norm + 1e-6);
        if (!double.IsFinite(norm) || scale >= 1) return norm;
        foreach (var g in grads) g.Backend.ScaleInPlace(g, scale);
        return norm;
    }
}
