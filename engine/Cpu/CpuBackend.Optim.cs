using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>
    /// In place, per element:  p −= lr·wd·p  (decoupled decay first);  m = β₁m + (1−β₁)g;  v = β₂v + (1−β₂)g²;
    /// p −= lr · (m / bc₁) / (sqrt(v / bc₂) + eps). The arithmetic runs in float64 and is rounded once per store.
    /// </summary>
    public void AdamWStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWStepArgs args)
    {
        RequireFloat(param, "adamw");
        RequireFloat(grad, "adamw");
        RequireFloat(m, "adamw");
        RequireFloat(v, "adamw");
        foreach (var (t, name) in new[] { (grad, "grad"), (m, "m"), (v, "v") })
            if (t.Shape != param.Shape) throw new ArgumentException($"adamw: {name} {t.Shape} does not match parameter {param.Name ?? ""} {param.Shape}");
        foreach (var (t, name) in new[] { (param, "parameter"), (m, "m"), (v, "v") })
            if (!t.IsContiguous) throw new ArgumentException($"adamw updates {name} in place and needs it contiguous, got {t.Layout}");
        var g = grad.DType == DType.F64 ? Strided.Dense<double>(grad) : Array.ConvertAll(Strided.Dense<float>(grad), x => (double)x);
        var n = (int)param.NumElements;
        var chunk = 1 << 14;
        Parallel.For(0, (n + chunk - 1) / chunk, c =>
        {
            var start = c * chunk;
            var end = Math.Min(n, start + chunk);
            var pv = new ElementAccess(param);
            var mv = new ElementAccess(m);
            var vv = new ElementAccess(v);
            for (var i = start; i < end; i++)
            {
                var p = pv[i] * (1 - args.LearningRate * args.WeightDecay);
                var mi = args.Beta1 * mv[i] + (1 - args.Beta1) * g[i];
                var vi = args.Beta2 * vv[i] + (1 - args.Beta2) * g[i] * g[i];
                mv[i] = mi;
                vv[i] = vi;
                pv[i] = p - args.LearningRate * (mi / args.BiasCorrection1) / (Math.Sqrt(vi / args.BiasCorrection2) + args.Epsilon);
            }
        });
    }

    /// <summary>Reads and writes a contiguous F32 or F64 tensor's elements as float64.</summary>
    private readonly struct ElementAccess(Tensor t)
    {
        private readonly float[]? _f32 = t.DType == DType.F32 ? t.CpuStorage().As<float>() : null;
        private readonly double[]? _f64 = t.DType == DType.F64 ? t.CpuStorage().As<double>() : null;
        private readonly int _offset = (int)t.Layout.Offset;

        public double this[int i]
        {
            get => _f32 is not null ? _f32[_offset + i] : _f64![_offset + i];
            set
            {
                if (_f32 is not null) _f32[_offset + i] = (float)value;
                else _f64![_offset + i] = value;
            }
        }
    }
}
