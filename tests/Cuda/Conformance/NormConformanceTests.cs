using NUnit.Framework;
using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;
using static StyleAlign.Tests.Cuda.Conformance.Conformance;

namespace StyleAlign.Tests.Cuda.Conformance;

[TestFixture, Category("Cuda")]
public sealed class NormConformanceTests
{
    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(RmsNormOp))]
    public void RmsNormOverManyRowsAndAnOddWidth(DType dtype)
    {
        // 600 rows: the weight gradient is summed over three row chunks. In BF16 it adds 600 products of BF16-rounded
        // normalised inputs (the device rounds x̂ as Hugging Face does; the F32 oracle does not): noise ≈ 2⁻⁹·√600 per unit.
        var x = Random(41, 3, 200, 45);
        var w = Uniform(42, 0.5, 1.5, 45);
        Check("rmsnorm", dtype, [x, w], [0, 1], t => RmsNormOp.Apply(t[0], t[1], 1e-6), bf16GradientAtol: 0.06);
        Check("rmsnorm of a transposed view", dtype, [Random(43, 45, 7), w], [0, 1], t => RmsNormOp.Apply(t[0].T, t[1], 1e-6));
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(LayerNormOp))]
    public void LayerNormOverManyRowsAndAnOddWidth(DType dtype)
    {
        var x = Random(44, 2, 300, 77) + 0.5;
        var w = Uniform(45, 0.5, 1.5, 77);
        var b = Random(46, 77);
        Check("layernorm", dtype, [x, w, b], [0, 1, 2], t => LayerNormOp.Apply(t[0], t[1], t[2], 1e-5));
        Check("layernorm of a transposed view", dtype, [Random(47, 77, 5), w, b], [0, 1, 2], t => LayerNormOp.Apply(t[0].T, t[1], t[2], 1e-5));
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes)), CudaCaseFor(typeof(RotaryOp))]
    public void RotaryWithBroadcastTables(DType dtype)
    {
        // x [B=2, H=3, T=5, D=8] as a transposed view of [B, T, H, D]; cos/sin [T, D] broadcast over B and H.
        var x = Random(48, 2, 5, 3, 8);
        var angles = Uniform(49, -3, 3, 5, 8);
        Check("rotary", dtype, [x, angles.Cos(), angles.Sin()], [0, 1, 2], t => RotaryOp.Apply(t[0].Transpose(1, 2), t[1], t[2]));
    }

    [TestCaseSource(typeof(Conformance), nameof(FloatTypes))]
    public void AdamWStepMatchesTheCpuUpdate(DType gradType)
    {
        var device = Device.Cuda(CudaTestSupport.RequireDevice().DeviceIndex);
        var args = new AdamWStepArgs(1e-3, 0.9, 0.999, 1e-8, 0.1, 1 - Math.Pow(0.9, 3), 1 - Math.Pow(0.999, 3));
        var param = Random(50, 1001);
        var grad = RoundedOracle(Random(51, 1001), gradType);
        var m = Random(52, 1001) * 0.01;
        var v = Uniform(53, 0, 1e-3, 1001);
        var (pc, mc, vc) = (param.Clone(), m.Clone(), v.Clone());
        var (pg, mg, vg) = (param.To(device), m.To(device), v.To(device));
        Backends.For(Device.Cpu).AdamWStep(pc, grad, mc, vc, args);
        Backends.For(device).AdamWStep(pg, grad.To(gradType).To(device), mg, vg, args);
        // The update p − p₀ is about lr = 1e-3, its weight-decay part lr·λ·p about 1e-4: compared on its own scale, so a
        // step that drops or misplaces the decay fails (the parameters themselves, near 1, would hide it).
        Compare("adamw update p - p0", pg.To(Device.Cpu) - param, pc - param, DType.F32, atolOverride: 1e-6);
        Compare("adamw param", pg, pc, DType.F32);
        Compare("adamw m", mg, mc, DType.F32);
        Compare("adamw v", vg, vc, DType.F32);
    }
}
