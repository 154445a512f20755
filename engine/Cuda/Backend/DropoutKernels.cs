namespace StyleAlign.Engine.Cuda.Backend;

/// <summary>Launches kernels/dropout.cu: the keep mask (u8) of n elements, a pure function of (seed, offset + index).</summary>
public sealed class DropoutKernels(IKernelLauncher launcher) : KernelFamily(launcher, "dropout")
{
    public void Mask(long n, ulong keep, ulong seed, ulong offset, double p) =>
        Launch("dropout_mask_u8", LaunchConfig.ForElements(n), new KernelArgs().Long(n).Pointer(keep).ULong(seed).ULong(offset).Value(p));
}
