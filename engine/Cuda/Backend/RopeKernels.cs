using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cuda.Backend;

/// <summary>
/// Launches kernels/rope.cu: rotate-half rotary embedding of x [B, H, T, D] (read through batch, head and token
/// strides, D dense) with dense cos/sin tables [B, T, D], into a dense y, or its transpose for the backward pass.
/// </summary>
public sealed class RopeKernels(IKernelLauncher launcher) : KernelFamily(launcher, "rope")
{
    /// <param name="roundProducts">round each product and the sum to dtype, as a bf16 text decoder does; false computes in fp32 and rounds once</param>
    public void Apply(DType dtype, bool inverse, long batch, long heads, long tokens, long headDim, long batchStride, long headStride, long tokenStride,
        ulong x, ulong cos, ulong sin, ulong y, bool roundProducts) =>
        Launch($"rope_{(inverse ? "bwd" : "fwd")}_{FloatSuffix(dtype, "rotary")}", LaunchConfig.ForElements(batch * heads * tokens * (headDim / 2)),
            new KernelArgs().Long(batch).Long(heads).Long(tokens).Long(headDim).Long(batchStride).Long(headStride).Long(tokenStride)
                .Pointer(x).Pointer(cos).Pointer(sin).Pointer(y).Int(roundProducts ? 1 : 0));
}
