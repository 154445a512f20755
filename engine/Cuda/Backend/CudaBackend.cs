using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cuda.Backend;

/// <summary>
/// The CUDA backend: every <see cref="IBackend"/> primitive on one device, as kernels of kernels/*.cu and cuBLAS
/// on the device's single stream (so work is ordered without events). Floats are F32 or BF16 storage with fp32
/// math; F64 can be stored, filled, copied and transferred but not computed on (a NotSupportedException names the
/// op). Inputs may be any strided view; outputs are new dense tensors. Reductions use fixed-order trees, and
/// scatters the deterministic kernels, so results repeat bit for bit.
/// </summary>
public sealed partial class CudaBackend : IBackend
{
    private static readonly ConcurrentDictionary<int, CudaBackend> Instances = new();
    private readonly TensorKernels _tensor;
    private readonly ElementwiseKernels _elementwise;
    private readonly ReduceKernels _reduce;
    private readonly SoftmaxKernels _softmax;
    private readonly IndexKernels _index;
    private readonly NormsKernels _norms;
    private readonly RopeKernels _rope;
    private readonly DropoutKernels _dropout;
    private readonly AdamwKernels _adamw;

    private CudaBackend(CudaContext context)
    {
        Context = context;
        Device = Device.Cuda(context.DeviceIndex);
        var launcher = new KernelLauncher(context);
        _tensor = new TensorKernels(launcher);
        _elementwise = new ElementwiseKernels(launcher);
        _reduce = new ReduceKernels(launcher);
        _softmax = new SoftmaxKernels(launcher);
        _index = new IndexKernels(launcher);
        _norms = new NormsKernels(launcher);
        _rope = new RopeKernels(launcher);
        _dropout = new DropoutKernels(launcher);
        _adamw = new AdamwKernels(launcher);
    }

    public CudaContext Context { get; }

    public Device Device { get; }

    /// <summary>
    /// Registers this backend for <see cref="DeviceKind.Cuda"/> when the engine assembly loads. Only the factory is
    /// registered: nothing touches the driver until a CUDA tensor is made, so a machine without a GPU loads cleanly.
    /// </summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The engine registers its own implementations; registering stores a factory and does no work.")]
    internal static void Register() => Backends.Register<IBackend>(DeviceKind.Cuda, For);

    /// <summary>The backend of a CUDA device; throws "No CUDA device: ..." where there is none.</summary>
    public static CudaBackend For(Device device)
    {
        if (device.Kind != DeviceKind.Cuda) throw new ArgumentException($"the CUDA backend cannot serve device {device}");
        return Instances.GetOrAdd(device.Index, index => new CudaBackend(CudaContext.Get(index)));
    }

    public Storage Allocate(DType dtype, long count)
    {
        var storage = NewStorage(dtype, count);
        Context.Fill(storage.Buffer, 0);
        return storage;
    }

    public Storage Upload(Array host, DType dtype)
    {
        if (host.GetType().GetElementType() != dtype.HostType())
        {
            var converted = Array.CreateInstance(dtype.HostType(), host.Length);
            Array.Copy(host, converted, host.Length);
            host = converted;
        }
        var storage = NewStorage(dtype, host.LongLength);
        switch (host)
        {
            case float[] f: Context.CopyToDevice<float>(f, storage.Buffer); break;
            case double[] d: Context.CopyToDevice<double>(d, storage.Buffer); break;
            case ushort[] h: Context.CopyToDevice<ushort>(h, storage.Buffer); break;
            case Half[] h16: Context.CopyToDevice<Half>(h16, storage.Buffer); break;
            case int[] i: Context.CopyToDevice<int>(i, storage.Buffer); break;
            case long[] l: Context.CopyToDevice<long>(l, storage.Buffer); break;
            case byte[] b: Context.CopyToDevice<byte>(b, storage.Buffer); break;
            default: throw new NotSupportedException($"upload of a {host.GetType().Name} as {dtype}");
        }
        return storage;
    }

    public Array Download(Tensor x)
    {
        x.ThrowIfDisposed();
        using var scratch = new Scratch(this);
        var dense = scratch.Dense(x);
        var host = Array.CreateInstance(x.DType.HostType(), x.NumElements);
        var buffer = Storage(dense).Buffer;
        var offset = dense.Layout.Offset * x.DType.SizeOf();
        switch (host)
        {
            case float[] f: Context.CopyToHost<float>(buffer, f, offset); break;
            case double[] d: Context.CopyToHost<double>(buffer, d, offset); break;
            case ushort[] h: Context.CopyToHost<ushort>(buffer, h, offset); break;
            case Half[] h16: Context.CopyToHost<Half>(buffer, h16, offset); break;
            case int[] i: Context.CopyToHost<int>(buffer, i, offset); break;
            case long[] l: Context.CopyToHost<long>(buffer, l, offset); break;
            case byte[] b: Context.CopyToHost<byte>(buffer, b, offset); break;
        }
        return host;
    }

    public Tensor Contiguous(Tensor x)
    {
        x.ThrowIfDisposed();
        var y = NewTensor(x.Shape, x.DType);
        Copy(x.Storage, x.Layout, y.Storage, y.Layout, x.DType);
        return y;
    }

    public Tensor Cast(Tensor x, DType dtype)
    {
        x.ThrowIfDisposed();
        if (x.DType == dtype) return Contiguous(x);
        TensorKernels.CastName(x.DType, dtype);
        using var scratch = new Scratch(this);
        var xd = scratch.Dense(x);
        var y = NewTensor(x.Shape, dtype);
        if (x.NumElements > 0) _tensor.Cast(x.DType, dtype, x.NumElements, Address(xd), Address(y));
        return y;
    }

    public Tensor Fill(Shape shape, DType dtype, double value)
    {
        var y = NewTensor(shape, dtype);
        var storage = Storage(y);
        if (value == 0 || shape.NumElements == 0)
        {
            Context.Fill(storage.Buffer, 0);
            return y;
        }
        _tensor.Fill(dtype, shape.NumElements, storage.At(0), ElementBits(value, dtype));
        return y;
    }

    /// <summary>The storage bits of one element of dtype holding value, zero-extended to 64 bits.</summary>
    public static ulong ElementBits(double value, DType dtype) => HostConvert.FromDoubles([value], dtype) switch
    {
        float[] f => BitConverter.SingleToUInt32Bits(f[0]),
        double[] d => BitConverter.DoubleToUInt64Bits(d[0]),
        ushort[] h => h[0],
        Half[] h16 => BitConverter.HalfToUInt16Bits(h16[0]),
        int[] i => (uint)i[0],
        long[] l => (ulong)l[0],
        byte[] b => b[0],
        var other => throw new NotSupportedException($"fill of {other.GetType().Name}"),
    };

    public void CopyInto(Tensor dst, Tensor src)
    {
        if (dst.Shape != src.Shape) throw new ArgumentException($"copy of {src.Shape} into {dst.Shape}");
        if (dst.DType != src.DType) throw new ArgumentException($"copy of {src.DType} into {dst.DType}");
        dst.ThrowIfDisposed();
        src.ThrowIfDisposed();
        Copy(src.Storage, src.Layout, dst.Storage, dst.Layout, dst.DType);
    }

    /// <summary>Element-by-element copy between two views of one shape (either may be strided or broadcast on the source side).</summary>
    internal void Copy(Storage src, Layout srcLayout, Storage dst, Layout dstLayout, DType dtype)
    {
        var n = srcLayout.Shape.NumElements;
        if (n == 0) return;
        var bytes = dtype.SizeOf();
        if (srcLayout.IsContiguous && dstLayout.IsContiguous)
        {
            Context.CopyDeviceToDevice(Cuda(src).Buffer, srcLayout.Offset * bytes, Cuda(dst).Buffer, dstLayout.Offset * bytes, n * bytes);
            return;
        }
        var (shape, strides) = StridedPlan.Coalesce(srcLayout.Shape.ToArray(), srcLayout.Strides, dstLayout.Strides);
        _tensor.Copy(dtype, n, Cuda(src).At(srcLayout.Offset), StridedPlan.Argument(shape, strides[0], "copy"),
            Cuda(dst).At(dstLayout.Offset), StridedPlan.Argument(shape, strides[1], "copy"));
    }

    private CudaStorage NewStorage(DType dtype, long count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"cannot allocate {count} elements");
        return new CudaStorage(Context.Allocate(count * dtype.SizeOf()), dtype, count, Device);
    }

    /// <summary>A dense tensor with undefined contents; the caller writes every element.</summary>
    internal Tensor NewTensor(Shape shape, DType dtype) => new(NewStorage(dtype, shape.NumElements), Layout.Contiguous(shape));

    private CudaStorage Storage(Tensor x) => Cuda(x.Storage);

    private CudaStorage Cuda(Storage storage)
    {
        if (storage is not CudaStorage cuda || storage.Device != Device)
            throw new ArgumentException($"a tensor on {storage.Device} was passed to the backend of {Device}; move it with To(device) first");
        return cuda;
    }

    /// <summary>Device address of a tensor's first element.</summary>
    internal ulong Address(Tensor x) => Storage(x).At(x.Layout.Offset);

    /// <summary>Temporaries of one primitive: dense copies and views made along the way, disposed together.</summary>
    internal sealed class Scratch(CudaBackend backend) : IDisposable
    {
        private readonly List<Tensor> _owned = [];

        /// <summary>x itself when dense, else a dense copy owned by the scratch.</summary>
        public Tensor Dense(Tensor x) => x.IsContiguous ? x : Own(backend.Contiguous(x));

        /// <summary>A dense copy of x seen through another layout over its storage (a permutation, narrowing or expansion).</summary>
        public Tensor DenseOf(Tensor x, Layout layout)
        {
            var y = Own(backend.NewTensor(layout.Shape, x.DType));
            backend.Copy(x.Storage, layout, y.Storage, y.Layout, x.DType);
            return y;
        }

        public Tensor New(Shape shape, DType dtype) => Own(backend.NewTensor(shape, dtype));

        public Tensor Own(Tensor x)
        {
            _owned.Add(x);
            return x;
        }

        /// <summary>Takes x back from the scratch: it is the primitive's result and outlives it.</summary>
        public Tensor Keep(Tensor x)
        {
            _owned.Remove(x);
            return x;
        }

        public void Dispose()
        {
            foreach (var t in _owned) t.Dispose();
            _owned.Clear();
        }
    }
}
