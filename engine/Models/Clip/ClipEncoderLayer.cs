using StyleAlign.Engine.Autograd.Ops;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Engine.Models.Clip;

/// <summary>
/// One pre-LN CLIP encoder layer (both towers): x + out_proj(MHA(LN1(x))), then x + fc2(act(fc1(LN2(x)))), act being
/// the config's hidden_act (quick_gelu for the released models).
/// Attention has biases on q/k/v/out and scale head_dim^−0.5.
/// </summary>
internal sealed class ClipEncoderLayer
{
    private readonly int _hidden, _heads, _headDim;
    private readonly double _eps;
    private readonly UnaryKind _activation;
    private readonly Tensor _qWeight, _qBias, _kWeight, _kBias, _vWeight, _vBias, _outWeight, _outBias;
    private readonly Tensor _norm1Weight, _norm1Bias, _norm2Weight, _norm2Bias;
    private readonly Tensor _fc1Weight, _fc1Bias, _fc2Weight, _fc2Bias;

    public ClipEncoderLayer(int hidden, int heads, int intermediate, double eps, string activation, ParameterBuilder p)
    {
        _activation = HfActivation.Kind(activation);
        _hidden = hidden;
        _heads = heads;
        _headDim = hidden / heads;
        _eps = eps;
        var attn = p.Scope("self_attn");
        (_qWeight, _qBias) = (attn.Weight("q_proj.weight", hidden, hidden), attn.Bias("q_proj.bias", hidden));
        (_kWeight, _kBias) = (attn.Weight("k_proj.weight", hidden, hidden), attn.Bias("k_proj.bias", hidden));
        (_vWeight, _vBias) = (attn.Weight("v_proj.weight", hidden, hidden), attn.Bias("v_proj.bias", hidden));
        (_outWeight, _outBias) = (attn.Weight("out_proj.weight", hidden, hidden), attn.Bias("out_proj.bias", hidden));
        (_norm1Weight, _norm1Bias) = (p.NormWeight("layer_norm1.weight", hidden), p.Bias("layer_norm1.bias", hidden));
        (_norm2Weight, _norm2Bias) = (p.NormWeight("layer_norm2.weight", hidden), p.Bias("layer_norm2.bias", hidden));
        (_fc1Weight, _fc1Bias) = (p.Weight("mlp.fc1.weight", intermediate, hidden), p.Bias("mlp.fc1.bias", intermediate));
        (_fc2Weight, _fc2Bias) = (p.Weight("mlp.fc2.weight", hidden, intermediate), p.Bias("mlp.fc2.bias", hidden));
    }

    /// <param name="x">[B, T, C]</param>
    /// <param name="additiveMask">broadcastable to [B, H, T, T], or null for full attention</param>
    public Tensor Forward(Tensor x, Tensor? additiveMask)
    {
        var (b, t) = (x.Shape[0], x.Shape[1]);
        var z = Functional.LayerNorm(x, _norm1Weight, _norm1Bias, _eps);
        var q = SplitHeads(Functional.Linear(z, _qWeight, _qBias), b, t);
        var k = SplitHeads(Functional.Linear(z, _kWeight, _kBias), b, t);
        var v = SplitHeads(Functional.Linear(z, _vWeight, _vBias), b, t);
        var attn = EagerAttention.Compute(q, k, v, additiveMask, 1.0 / Math.Sqrt(_headDim));
        // [B, H, T, D] → [B, T, C]
        attn = attn.Transpose(1, 2).Reshape(b, t, _hidden);
        x = x + Functional.Linear(attn, _outWeight, _outBias);
        z = Functional.LayerNorm(x, _norm2Weight, _norm2Bias, _eps);
        var mlp = Functional.Linear(UnaryOp.Apply(_activation, Functional.Linear(z, _fc1Weight, _fc1Bias)), _fc2Weight, _fc2Bias);
        return x + mlp;
    }

    /// <summary>[B, T, C] → [B, H, T, D].</summary>
    private Tensor SplitHeads(Tensor x, int b, int t) => x.Reshape(b, t, _heads, _headDim).Transpose(1, 2);
}
