using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cpu;

// Index, norm, rotary, dropout and optimizer primitives: implemented in their own partial files.
public sealed partial class CpuBackend
{
    public Tensor Cat(IReadOnlyList<Tensor> xs, int dim) => throw new NotImplementedException("cat");

    public Tensor IndexSelect(Tensor x, int dim, Tensor index) => throw new NotImplementedException("index_select");

    public Tensor IndexAdd(Tensor target, int dim, Tensor index, Tensor src) => throw new NotImplementedException("index_add");

    public Tensor Gather(Tensor x, int dim, Tensor index) => throw new NotImplementedException("gather");

    public Tensor ScatterAdd(Tensor target, int dim, Tensor index, Tensor src) => throw new NotImplementedException("scatter_add");

    public (Tensor Output, Tensor InvRms) RmsNorm(Tensor x, Tensor weight, double eps) => throw new NotImplementedException("rmsnorm");

    public (Tensor GradX, Tensor GradWeight) RmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor gradY) => throw new NotImplementedException("rmsnorm backward");

    public (Tensor Output, Tensor Mean, Tensor InvStd) LayerNorm(Tensor x, Tensor weight, Tensor bias, double eps) => throw new NotImplementedException("layernorm");

    public (Tensor GradX, Tensor GradWeight, Tensor GradBias) LayerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor gradY) => throw new NotImplementedException("layernorm backward");

    public Tensor Rotary(Tensor x, Tensor cos, Tensor sin, bool inverse) => throw new NotImplementedException("rotary");

    public Tensor DropoutMask(Shape shape, double p, ulong seed) => throw new NotImplementedException("dropout");

    public void AdamWStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamWStepArgs args) => throw new NotImplementedException("adamw");
}
