using System.Globalization;
using System.Text;

namespace StyleAlign.Engine.Core;

public sealed partial class Tensor
{
    /// <summary>The elements in row-major order as T; T must be the dtype's host type (float for F32, long for I64, …).</summary>
    public T[] ToArray<T>()
    {
        var host = Backend.Download(this);
        if (host is T[] typed) return typed;
        throw new InvalidOperationException($"a {DType} tensor holds {DType.HostType().Name}, not {typeof(T).Name}; use ToDoubleArray() or To(dtype)");
    }

    /// <summary>Every element converted to float64 (bf16 and f16 widened exactly).</summary>
    public double[] ToDoubleArray() => HostConvert.ToDoubles(Backend.Download(this), DType);

    public float[] ToFloatArray() => Array.ConvertAll(ToDoubleArray(), v => (float)v);

    public long[] ToLongArray() => Array.ConvertAll(ToDoubleArray(), v => (long)v);

    /// <summary>The value of a one-element tensor.</summary>
    public double Item()
    {
        if (NumElements != 1) throw new InvalidOperationException($"Item() needs one element, the tensor has shape {Shape}");
        return ToDoubleArray()[0];
    }

    public override string ToString()
    {
        if (IsDisposed || Storage.IsFreed) return $"Tensor{Shape} {DType.Name()} {Device} (disposed)";
        var sb = new StringBuilder();
        sb.Append("Tensor").Append(Shape).Append(' ').Append(DType.Name()).Append(' ').Append(Device);
        if (RequiresGrad) sb.Append(" requires_grad");
        sb.Append('\n');
        var values = ToDoubleArray();
        Format(sb, values, 0, 0, DType.IsFloat());
        return sb.ToString();
    }

    private void Format(StringBuilder sb, double[] values, int dim, long offset, bool isFloat)
    {
        const int edge = 3;
        if (Rank == 0)
        {
            sb.Append(FormatValue(values[0], isFloat));
            return;
        }
        var n = Shape[dim];
        long stride = 1;
        for (var d = dim + 1; d < Rank; d++) stride *= Shape[d];
        sb.Append('[');
        for (var i = 0; i < n; i++)
        {
            if (n > 2 * edge && i == edge)
            {
                sb.Append("..., ");
                i = n - edge - 1;
                continue;
            }
            if (dim == Rank - 1) sb.Append(FormatValue(values[offset + i], isFloat));
            else Format(sb, values, dim + 1, offset + i * stride, isFloat);
            if (i < n - 1) sb.Append(dim == Rank - 1 ? ", " : ",\n" + new string(' ', dim + 1));
        }
        sb.Append(']');
    }

    private static string FormatValue(double v, bool isFloat) =>
        isFloat ? v.ToString("0.####", CultureInfo.InvariantCulture) : v.ToString(CultureInfo.InvariantCulture);
}
