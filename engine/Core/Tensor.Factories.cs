namespace StyleAlign.Engine.Core;

public sealed partial class Tensor
{
    public static Tensor Zeros(Shape shape, DType dtype = DType.F32, Device? device = null) => Full(shape, 0, dtype, device);

    public static Tensor Ones(Shape shape, DType dtype = DType.F32, Device? device = null) => Full(shape, 1, dtype, device);

    public static Tensor Full(Shape shape, double value, DType dtype = DType.F32, Device? device = null) =>
        Backends.For(device ?? Core.Device.Cpu).Fill(shape, dtype, value);

    public static Tensor Scalar(double value, DType dtype = DType.F32, Device? device = null) => Full(Shape.Scalar, value, dtype, device);

    /// <summary>0, 1, …, n-1 as I64 (or the given dtype).</summary>
    public static Tensor Arange(int n, DType dtype = DType.I64, Device? device = null)
    {
        var values = new double[n];
        for (var i = 0; i < n; i++) values[i] = i;
        return FromDoubles(values, new Shape(n), dtype, device);
    }

    /// <summary>A CPU tensor holding a copy of a host array; its element type picks the dtype.</summary>
    public static Tensor FromArray<T>(T[] data, params int[] shape)
        where T : unmanaged
    {
        var dtype = typeof(T) == typeof(bool) ? DType.Bool : DTypeInfo.FromHostType(typeof(T));
        var s = shape.Length == 0 && data.Length != 1 ? new Shape(data.Length) : new Shape(shape);
        if (s.NumElements != data.Length) throw new ArgumentException($"{data.Length} values do not fill shape {s}");
        Array host = data;
        if (data is bool[] flags) host = flags.Select(f => f ? (byte)1 : (byte)0).ToArray();
        return new Tensor(Backends.For(Core.Device.Cpu).Upload(host, dtype), Layout.Contiguous(s));
    }

    /// <summary>A tensor of the given dtype from float64 values (converted element by element).</summary>
    public static Tensor FromDoubles(double[] values, Shape shape, DType dtype = DType.F32, Device? device = null)
    {
        if (shape.NumElements != values.Length) throw new ArgumentException($"{values.Length} values do not fill shape {shape}");
        var host = HostConvert.FromDoubles(values, dtype);
        var backend = Backends.For(device ?? Core.Device.Cpu);
        return new Tensor(backend.Upload(host, dtype), Layout.Contiguous(shape));
    }

    public static Tensor FromFloats(float[] values, Shape shape, Device? device = null)
    {
        if (shape.NumElements != values.Length) throw new ArgumentException($"{values.Length} values do not fill shape {shape}");
        var backend = Backends.For(device ?? Core.Device.Cpu);
        return new Tensor(backend.Upload(values, DType.F32), Layout.Contiguous(shape));
    }

    /// <summary>Standard normal values, scaled by std: identical bits for the same generator state.</summary>
    public static Tensor RandN(Shape shape, RandomGenerator rng, double std = 1.0, DType dtype = DType.F32, Device? device = null)
    {
        var values = new double[shape.NumElements];
        for (var i = 0; i < values.Length; i++) values[i] = rng.NextNormal() * std;
        return FromDoubles(values, shape, dtype, device);
    }

    /// <summary>Uniform values in [low, high).</summary>
    public static Tensor Rand(Shape shape, RandomGenerator rng, double low = 0, double high = 1, DType dtype = DType.F32, Device? device = null)
    {
        var values = new double[shape.NumElements];
        for (var i = 0; i < values.Length; i++) values[i] = low + (high - low) * rng.NextDouble();
        return FromDoubles(values, shape, dtype, device);
    }

    /// <summary>A tensor of the same shape filled with zeros (same dtype and device).</summary>
    public Tensor ZerosLike() => Zeros(Shape, DType, Device);

    public Tensor OnesLike() => Ones(Shape, DType, Device);
}
