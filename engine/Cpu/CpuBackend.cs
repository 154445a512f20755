using System.Diagnostics.CodeAnalysis;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cpu;

/// <summary>
/// The CPU backend: complete, and the oracle every other backend is checked against. Float math runs in the
/// tensor's own precision (F32 or F64); BF16/F16 tensors can be stored, cast and copied, not computed on.
/// </summary>
public sealed partial class CpuBackend : IBackend
{
    public static readonly CpuBackend Instance = new();

    private CpuBackend()
    {
    }

    /// <summary>Registers the CPU backend for <see cref="DeviceKind.Cpu"/> when the engine assembly loads.</summary>
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The engine registers its own implementations; registering stores a factory and does no work.")]
    internal static void Register() => Backends.Register<IBackend>(DeviceKind.Cpu, _ => Instance);

    public Device Device => Device.Cpu;

    public Storage Allocate(DType dtype, long count) => new CpuStorage(dtype, count);

    public Storage Upload(Array host, DType dtype) => new CpuStorage(dtype, host);

    public Array Download(Tensor x)
    {
        x.ThrowIfDisposed();
        return x.DType switch
        {
            DType.F32 => DenseArray<float>(x),
            DType.F64 => DenseArray<double>(x),
            DType.BF16 => DenseArray<ushort>(x),
            DType.F16 => DenseArray<Half>(x),
            DType.I32 => DenseArray<int>(x),
            DType.I64 => DenseArray<long>(x),
            DType.U8 or DType.Bool => DenseArray<byte>(x),
            _ => throw new NotSupportedException(x.DType.ToString()),
        };
    }

    public Tensor Contiguous(Tensor x)
    {
        x.ThrowIfDisposed();
        return DispatchAny(x.DType, new CopyKernel(x));
    }

    public Tensor Cast(Tensor x, DType dtype)
    {
        x.ThrowIfDisposed();
        if (x.DType == dtype) return Contiguous(x);
        switch (x.DType, dtype)
        {
            case (DType.F32, DType.BF16): return Convert<float, ushort>(x, dtype, static (s, d) => BFloat16Bits.FromSingle(s, d));
            case (DType.BF16, DType.F32): return Convert<ushort, float>(x, dtype, static (s, d) => BFloat16Bits.ToSingle(s, d));
            case (DType.F32, DType.F64): return Convert<float, double>(x, dtype, static (s, d) => TensorPrimitives.ConvertChecked<float, double>(s, d));
            case (DType.F64, DType.F32): return Convert<double, float>(x, dtype, static (s, d) => TensorPrimitives.ConvertTruncating<double, float>(s, d));
            case (DType.F32, DType.F16): return Convert<float, Half>(x, dtype, static (s, d) => TensorPrimitives.ConvertToHalf(s, d));
            case (DType.F16, DType.F32): return Convert<Half, float>(x, dtype, static (s, d) => TensorPrimitives.ConvertToSingle(s, d));
        }
        var converted = CpuCast.Convert(Download(x), x.DType, dtype);
        return new Tensor(new CpuStorage(dtype, converted), Layout.Contiguous(x.Shape));
    }

    private Tensor Convert<TFrom, TTo>(Tensor x, DType dtype, SpanConversion<TFrom, TTo> convert)
        where TFrom : unmanaged where TTo : unmanaged
    {
        using var source = Strided.Dense<TFrom>(x);
        var result = Output<TTo>(x.Shape, dtype, out var y);
        convert(source, y);
        return result;
    }

    private delegate void SpanConversion<TFrom, TTo>(ReadOnlySpan<TFrom> source, Span<TTo> destination);

    public Tensor Fill(Shape shape, DType dtype, double value)
    {
        var storage = new CpuStorage(dtype, shape.NumElements, zero: value == 0);
        if (value != 0)
        {
            var v = HostConvert.FromDoubles([value], dtype).GetValue(0)!;
            switch (v)
            {
                case float f: storage.Span<float>().Fill(f); break;
                case double d: storage.Span<double>().Fill(d); break;
                case ushort h: storage.Span<ushort>().Fill(h); break;
                case Half h16: storage.Span<Half>().Fill(h16); break;
                case int i: storage.Span<int>().Fill(i); break;
                case long l: storage.Span<long>().Fill(l); break;
                case byte b: storage.Span<byte>().Fill(b); break;
            }
        }
        return new Tensor(storage, Layout.Contiguous(shape));
    }

    public void CopyInto(Tensor dst, Tensor src)
    {
        if (dst.Shape != src.Shape) throw new ArgumentException($"copy of {src.Shape} into {dst.Shape}");
        if (dst.DType != src.DType) throw new ArgumentException($"copy of {src.DType} into {dst.DType}");
        dst.ThrowIfDisposed();
        src.ThrowIfDisposed();
        switch (dst.DType)
        {
            case DType.F32: CopyElements<float>(dst, src); break;
            case DType.F64: CopyElements<double>(dst, src); break;
            case DType.BF16: CopyElements<ushort>(dst, src); break;
            case DType.F16: CopyElements<Half>(dst, src); break;
            case DType.I32: CopyElements<int>(dst, src); break;
            case DType.I64: CopyElements<long>(dst, src); break;
            default: CopyElements<byte>(dst, src); break;
        }
    }

    private static void CopyElements<T>(Tensor dst, Tensor src)
        where T : unmanaged
    {
        // A dense copy first: the source may overlap the destination (a view of the same storage).
        using var copy = Strided.Dense<T>(src.IsContiguous && !ReferenceEquals(src.Storage, dst.Storage) ? src : src.Backend.Contiguous(src));
        Strided.Scatter<T>(copy, Strided.Elements<T>(dst), dst.Layout);
    }

    private static T[] DenseArray<T>(Tensor x)
        where T : unmanaged
    {
        var result = new T[x.NumElements];
        Strided.Gather(Strided.Elements<T>(x), x.Layout, result);
        return result;
    }

    /// <summary>A new dense tensor of the shape and its elements to fill (uninitialized unless <paramref name="zero"/>).</summary>
    internal static Tensor Output<T>(Shape shape, DType dtype, out CpuBuffer<T> data, bool zero = false)
        where T : unmanaged
    {
        var storage = new CpuStorage(dtype, shape.NumElements, zero);
        data = storage.Buffer<T>();
        return new Tensor(storage, Layout.Contiguous(shape));
    }

    internal static Tensor Output(Shape shape, out CpuBuffer<float> data, bool zero = false) => Output(shape, DType.F32, out data, zero);

    internal static Tensor Output(Shape shape, out CpuBuffer<double> data, bool zero = false) => Output(shape, DType.F64, out data, zero);

    /// <summary>A tensor holding a copy of a host array.</summary>
    internal static Tensor FromHost<T>(T[] data, Shape shape, DType dtype)
        where T : unmanaged => new(new CpuStorage(dtype, data), Layout.Contiguous(shape));

    /// <summary>Throws unless x is F32 or F64: the dtypes the CPU computes in.</summary>
    internal static void RequireFloat(Tensor x, string op)
    {
        x.ThrowIfDisposed();
        if (x.DType is not (DType.F32 or DType.F64))
            throw new NotSupportedException($"{op} on the CPU needs F32 or F64, got {x.DType} (cast with To(DType.F32) first)");
    }
}
