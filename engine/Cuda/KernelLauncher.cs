using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using StyleAlign.Engine.Cuda.Interop;

namespace StyleAlign.Engine.Cuda;

/// <summary>Grid or block extent.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1);

/// <summary>Launch geometry: grid, block and dynamic shared memory.</summary>
public readonly record struct LaunchConfig(Dim3 Grid, Dim3 Block, uint SharedBytes = 0)
{
    /// <summary>A grid-stride launch over <paramref name="count"/> elements (grid capped; the kernels loop).</summary>
    public static LaunchConfig ForElements(long count, uint block = 256, uint maxGrid = 65535 * 8)
    {
        var blocks = (uint)Math.Clamp((count + block - 1) / block, 1, maxGrid);
        return new LaunchConfig(new Dim3(blocks), new Dim3(block));
    }

    /// <summary>One block per row.</summary>
    public static LaunchConfig ForRows(long rows, uint block = 256)
    {
        if (rows > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(rows), $"{rows} rows exceed the grid limit of {int.MaxValue}.");
        return new LaunchConfig(new Dim3((uint)Math.Max(rows, 1)), new Dim3(block));
    }
}

/// <summary>
/// A kernel's argument list in declaration order: device pointers, integers, floats and blittable structs
/// (<see cref="StridedLayoutArg"/>). Each value is stored at its natural alignment; the launch passes a pointer to each.
/// </summary>
public sealed class KernelArgs
{
    private byte[] _bytes = new byte[256];
    private readonly List<int> _offsets = new(16);
    private readonly List<int> _sizes = new(16);
    private readonly List<ArgumentKind> _kinds = new(16);
    private int _length;

    public int Count => _offsets.Count;

    /// <summary>The size in bytes of each argument, in order: what the kernel's parameter list must match.</summary>
    public IReadOnlyList<int> Sizes => _sizes;

    public KernelArgs Pointer(ulong devicePointer) => Value(devicePointer).Kind(ArgumentKind.Pointer);
    public KernelArgs Pointer(DeviceBuffer buffer, long byteOffset = 0) => Pointer(buffer.At(byteOffset));

    /// <summary>A null device pointer, for optional outputs.</summary>
    public KernelArgs Null() => Value(0UL).Kind(ArgumentKind.Pointer);

    public KernelArgs Int(int value) => Value(value);
    public KernelArgs Long(long value) => Value(value);
    public KernelArgs ULong(ulong value) => Value(value);
    public KernelArgs Float(float value) => Value(value);

    /// <summary>The arguments as an error names them: "(0x7f0000, 37, 0.125)"; a struct argument by its size. Formatted only when asked.</summary>
    public string Describe()
    {
        var parts = new string[_offsets.Count];
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        for (var i = 0; i < parts.Length; i++)
        {
            ref var at = ref _bytes[_offsets[i]];
            parts[i] = _kinds[i] switch
            {
                ArgumentKind.Pointer => Unsafe.ReadUnaligned<ulong>(ref at) switch { 0 => "null", var address => $"0x{address:x}" },
                ArgumentKind.Int32 => Unsafe.ReadUnaligned<int>(ref at).ToString(invariant),
                ArgumentKind.Int64 => Unsafe.ReadUnaligned<long>(ref at).ToString(invariant),
                ArgumentKind.UInt64 => Unsafe.ReadUnaligned<ulong>(ref at).ToString(invariant),
                ArgumentKind.Float => Unsafe.ReadUnaligned<float>(ref at).ToString("G9", invariant),
                _ => $"<{_sizes[i]}-byte struct>",
            };
        }
        return $"({string.Join(", ", parts)})";
    }

    private enum ArgumentKind : byte { Other, Pointer, Int32, Int64, UInt64, Float }

    private KernelArgs Kind(ArgumentKind kind)
    {
        _kinds[^1] = kind;
        return this;
    }

    /// <summary>Any blittable value, copied as the kernel parameter of the same C layout.</summary>
    public unsafe KernelArgs Value<T>(T value) where T : unmanaged
    {
        var alignment = Math.Min(sizeof(T), 16);
        alignment = alignment >= 16 ? 16 : alignment >= 8 ? 8 : alignment >= 4 ? 4 : alignment >= 2 ? 2 : 1;
        var offset = (_length + alignment - 1) / alignment * alignment;
        if (offset + sizeof(T) > _bytes.Length) Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, offset + sizeof(T)));
        Unsafe.WriteUnaligned(ref _bytes[offset], value);
        _offsets.Add(offset);
        _sizes.Add(sizeof(T));
        // typeof comparisons of a value-type T fold away when the method is compiled: no boxing per argument.
        _kinds.Add(typeof(T) == typeof(int) ? ArgumentKind.Int32 : typeof(T) == typeof(long) ? ArgumentKind.Int64
            : typeof(T) == typeof(ulong) ? ArgumentKind.UInt64 : typeof(T) == typeof(float) ? ArgumentKind.Float : ArgumentKind.Other);
        _length = offset + sizeof(T);
        return this;
    }

    /// <summary>Marks the list of argument sizes after the NULL that ends the pointer list ("SAKARGS1").</summary>
    internal const long ArgumentSizesMarker = 0x53414B4152475331;

    /// <summary>
    /// Calls <paramref name="use"/> with cuLaunchKernel's kernelParams: one pointer per argument, then a NULL, the marker
    /// and each argument's size in bytes. The driver reads only as many pointers as the kernel has parameters; the
    /// terminated tail lets a checking driver (the CPU stand-in in tests/cuda-standin) compare count and sizes.
    /// </summary>
    internal unsafe void WithParameterPointers(Action<IntPtr> use)
    {
        var count = _offsets.Count;
        var pointers = new IntPtr[2 * count + 2];
        fixed (byte* data = _bytes)
        fixed (IntPtr* array = pointers)
        {
            for (var i = 0; i < count; i++)
            {
                pointers[i] = (IntPtr)(data + _offsets[i]);
                pointers[count + 2 + i] = _sizes[i];
            }
            pointers[count] = IntPtr.Zero;
            pointers[count + 1] = unchecked((IntPtr)ArgumentSizesMarker);
            use((IntPtr)array);
        }
    }
}

/// <summary>The C layout of `StridedLayout` in kernels/common.cuh: rank, then shape and strides (elements) of up to 8 dims.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct StridedLayoutArg
{
    public const int MaxDims = 8;
    public int Rank;
    private int _padding;
    public fixed long Shape[MaxDims];
    public fixed long Strides[MaxDims];

    public static StridedLayoutArg Create(ReadOnlySpan<long> shape, ReadOnlySpan<long> strides)
    {
        if (shape.Length != strides.Length)
            throw new ArgumentException($"Shape has {shape.Length} dims but strides have {strides.Length}.");
        if (shape.Length > MaxDims)
            throw new ArgumentException($"Strided kernels take at most {MaxDims} dims; got {shape.Length}. Merge contiguous dims first.");
        var layout = new StridedLayoutArg { Rank = shape.Length };
        for (var d = 0; d < shape.Length; d++)
        {
            layout.Shape[d] = shape[d];
            layout.Strides[d] = strides[d];
        }
        if (shape.Length == 0) { layout.Rank = 1; layout.Shape[0] = 1; layout.Strides[0] = 0; } // a scalar
        return layout;
    }
}

/// <summary>
/// Launches kernels of the embedded families on a context's stream. With <see cref="SynchronizeEachLaunch"/> (set by
/// STYLEALIGN_CUDA_SYNC=1) every launch waits for its kernel, so a fault is reported by the launch that caused it,
/// naming the kernel, its geometry and its arguments, instead of surfacing unnamed at a later synchronization.
/// </summary>
public sealed unsafe class KernelLauncher(CudaContext context) : IKernelLauncher
{
    /// <summary>Synchronize after each launch and name the kernel in any error; on when STYLEALIGN_CUDA_SYNC=1.</summary>
    public static bool SynchronizeEachLaunch { get; set; } = Environment.GetEnvironmentVariable("STYLEALIGN_CUDA_SYNC") == "1";

    public CudaContext Context { get; } = context;

    /// <summary>Queues the entry point (compiling or loading its module on first use); errors name the kernel and geometry.</summary>
    public void Launch(KernelEntry entry, LaunchConfig config, KernelArgs args)
    {
        // The module load and function lookup act on the calling thread's current context: make it ours first.
        Context.MakeCurrent();
        Launch(Context.Kernels.GetFunction(entry), entry.ToString(), config, args);
    }

    /// <summary>Queues a CUfunction of a module this context loaded itself (one compiled with other options or from other source).</summary>
    public void Launch(IntPtr function, string kernel, LaunchConfig config, KernelArgs args)
    {
        Context.MakeCurrent();
        if (config.SharedBytes > 48 * 1024)
            CudaCheck.Driver(CuDriver.cuFuncSetAttribute(function, CuDriver.FuncAttributeMaxDynamicSharedSizeBytes, (int)config.SharedBytes),
                call: $"cuFuncSetAttribute({kernel}, max dynamic shared memory = {config.SharedBytes} bytes)");
        var stream = Context.Stream;
        args.WithParameterPointers(parameters =>
        {
            var result = CuDriver.cuLaunchKernel(function, config.Grid.X, config.Grid.Y, config.Grid.Z,
                config.Block.X, config.Block.Y, config.Block.Z, config.SharedBytes, stream, (void**)parameters, null);
            if (result != CuDriver.Success)
                throw new CudaException($"cuLaunchKernel({Describe(kernel, config, args)})", result, CuDriver.ErrorName(result));
        });
        if (!SynchronizeEachLaunch) return;
        var completion = CuDriver.cuStreamSynchronize(stream);
        if (completion != CuDriver.Success)
            throw new CudaException($"{Describe(kernel, config, args)}", completion, CuDriver.ErrorName(completion),
                detail: "the kernel failed (STYLEALIGN_CUDA_SYNC=1 synchronizes after each launch, so this launch is the one that faulted)");
    }

    private static string Describe(string kernel, LaunchConfig config, KernelArgs args) =>
        $"{kernel}, grid {config.Grid}, block {config.Block}, smem {config.SharedBytes}, args {args.Describe()}";
}
