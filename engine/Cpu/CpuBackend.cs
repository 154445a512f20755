using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using StyleAlign.Engine.Core;

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

    public Storage Upload(Array host, DType dtype)
    {
        var copy = Array.CreateInstance(dtype.HostType(), host.Length);
        Array.Copy(host, copy, host.Length);
        return new CpuStorage(dtype, copy);
    }

    public Storage Adopt(Array host, DType dtype) => new CpuStorage(dtype, host);

    public Array Download(Tensor x)
    {
        x.ThrowIfDisposed();
        return x.DType switch
        {
            DType.F32 => DenseCopy<float>(x),
            DType.F64 => DenseCopy<double>(x),
            DType.BF16 => DenseCopy<ushort>(x),
            DType.F16 => DenseCopy<Half>(x),
            DType.I32 => DenseCopy<int>(x),
            DType.I64 => DenseCopy<long>(x),
            DType.U8 or DType.Bool => DenseCopy<byte>(x),
            _ => throw new NotSupportedException(x.DType.ToString()),
        };
    }

    public Tensor Contiguous(Tensor x)
    {
        x.ThrowIfDisposed();
        return new Tensor(new CpuStorage(x.DType, Download(x)), Layout.Contiguous(x.Shape));
    }

    public Tensor Cast(Tensor x, DType dtype)
    {
        x.ThrowIfDisposed();
        if (x.DType == dtype) return Contiguous(x);
        Array result = (x.DType, dtype) switch
        {
            (DType.F32, DType.BF16) => Array.ConvertAll(DenseCopy<float>(x), BFloat16Bits.FromSingle),
            (DType.BF16, DType.F32) => Array.ConvertAll(DenseCopy<ushort>(x), BFloat16Bits.ToSingle),
            (DType.F32, DType.F64) => Array.ConvertAll(DenseCopy<float>(x), v => (double)v),
            (DType.F64, DType.F32) => Array.ConvertAll(DenseCopy<double>(x), v => (float)v),
            (DType.F32, DType.F16) => Array.ConvertAll(DenseCopy<float>(x), v => (Half)v),
            (DType.F16, DType.F32) => Array.ConvertAll(DenseCopy<Half>(x), v => (float)v),
            _ => CpuCast.Convert(Download(x), x.DType, dtype),
        };
        return new Tensor(new CpuStorage(dtype, result), Layout.Contiguous(x.Shape));
    }

    public Tensor Fill(Shape shape, DType dtype, double value)
    {
        var storage = new CpuStorage(dtype, shape.NumElements);
        if (value != 0)
        {
            var one = HostConvert.FromDoubles([value], dtype);
            var data = storage.Data;
            var v = one.GetValue(0);
            switch (data)
            {
                case float[] f: Array.Fill(f, (float)v!); break;
                case double[] d: Array.Fill(d, (double)v!); break;
                case ushort[] h: Array.Fill(h, (ushort)v!); break;
                case Half[] h16: Array.Fill(h16, (Half)v!); break;
                case int[] i: Array.Fill(i, (int)v!); break;
                case long[] l: Array.Fill(l, (long)v!); break;
                case byte[] b: Array.Fill(b, (byte)v!); break;
            }
        }
        return new Tensor(storage, Layout.Contiguous(shape));
    }

    public void CopyInto(Tensor dst, Tensor src)
    {
        if (dst.Shape != src.Shape) throw new ArgumentException($"copy of {src.Shape} into {dst.Shape}");
        if (dst.DType != src.DType) throw new ArgumentException($"copy of {src.DType} into {dst.DType}");
        switch (dst.DType)
        {
            case DType.F32: Strided.Scatter<float>(DenseCopy<float>(src), dst.CpuStorage().As<float>(), dst.Layout); break;
            case DType.F64: Strided.Scatter<double>(DenseCopy<double>(src), dst.CpuStorage().As<double>(), dst.Layout); break;
            case DType.BF16: Strided.Scatter<ushort>(DenseCopy<ushort>(src), dst.CpuStorage().As<ushort>(), dst.Layout); break;
            case DType.F16: Strided.Scatter<Half>(DenseCopy<Half>(src), dst.CpuStorage().As<Half>(), dst.Layout); break;
            case DType.I32: Strided.Scatter<int>(DenseCopy<int>(src), dst.CpuStorage().As<int>(), dst.Layout); break;
            case DType.I64: Strided.Scatter<long>(DenseCopy<long>(src), dst.CpuStorage().As<long>(), dst.Layout); break;
            default: Strided.Scatter<byte>(DenseCopy<byte>(src), dst.CpuStorage().As<byte>(), dst.Layout); break;
        }
    }

    private static T[] DenseCopy<T>(Tensor x)
    {
        var result = new T[x.NumElements];
        Strided.Gather(x.CpuStorage().As<T>(), x.Layout, result);
        return result;
    }

    internal static Tensor Wrap<T>(T[] data, Shape shape, DType dtype) =>
        new(new CpuStorage(dtype, data), Layout.Contiguous(shape));

    internal static Tensor Wrap(float[] data, Shape shape) => Wrap(data, shape, DType.F32);

    internal static Tensor Wrap(double[] data, Shape shape) => Wrap(data, shape, DType.F64);

    /// <summary>Throws unless x is F32 or F64: the dtypes the CPU computes in.</summary>
    internal static void RequireFloat(Tensor x, string op)
    {
        x.ThrowIfDisposed();
        if (x.DType is not (DType.F32 or DType.F64))
            throw new NotSupportedException($"{op} on the CPU needs F32 or F64, got {x.DType} (cast with To(DType.F32) first)");
    }
}
