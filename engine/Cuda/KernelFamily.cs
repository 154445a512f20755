using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Cuda;

/// <summary>Queues kernel launches: on a device (<see cref="KernelLauncher"/>), or into a record a test reads.</summary>
public interface IKernelLauncher
{
    void Launch(KernelEntry kernel, LaunchConfig config, KernelArgs args);
}

/// <summary>
/// The C# side of one kernel family: a subclass per kernels/&lt;family&gt;.cu, named after the file
/// (NormsKernels for norms.cu) and kept in the folder of the op it serves. Each method launches one entry point
/// from plain values (device addresses, sizes, scalars) and is the only place that entry point's argument list is
/// written; a test reads the kernels' parameter lists from the sources and compares them with what each method
/// passes.
/// </summary>
public abstract class KernelFamily(IKernelLauncher launcher, string family)
{
    /// <summary>Threads per block of the row kernels and of the column-blocked ones.</summary>
    public const uint RowBlock = 256;

    /// <summary>The .cu file name without its extension.</summary>
    public string Family { get; } = family;

    protected void Launch(string kernel, LaunchConfig config, KernelArgs args, IReadOnlyList<string>? options = null) =>
        launcher.Launch(new KernelEntry(Family, kernel, options), config, args);

    /// <summary>The kernel-name suffix of a float storage type the kernels compute on (fp32 math).</summary>
    public static string FloatSuffix(DType dtype, string op) => dtype switch
    {
        DType.F32 => "f32",
        DType.BF16 => "bf16",
        _ => throw new NotSupportedException($"{op} on CUDA needs F32 or BF16, got {dtype}"),
    };
}
