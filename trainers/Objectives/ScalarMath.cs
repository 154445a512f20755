using StyleAlign.Engine.Core;

namespace StyleAlign.Trainers.Objectives;

/// <summary>
/// Numerically stable pieces of the loss graphs (docs/objectives.md). The per-sequence scalars are evaluated in
/// float64 on the CPU and in float32 on a GPU, whose backend has no float64 (see <see cref="ScalarDType"/>).
/// </summary>
public static class ScalarMath
{
    private const double Huge = 1e300;

    /// <summary>log σ(x) = −log(1 + e^{−x}) for x ≥ 0 and x − log(1 + e^{x}) below; each branch only ever sees
    /// its own half-line, so neither overflows and the unused branch back-propagates finite zeros.</summary>
    public static Tensor LogSigmoid(Tensor x)
    {
        var positive = x.Clamp(0, Huge);
        var negative = x.Clamp(-Huge, 0);
        var upper = -((-positive).Exp() + 1.0).Log();
        var lower = negative - (negative.Exp() + 1.0).Log();
        return Tensor.Where(x.Ge(0), upper, lower);
    }

    public static double LogSigmoid(double x) => x >= 0 ? -Math.Log(1 + Math.Exp(-x)) : x - Math.Log(1 + Math.Exp(x));

    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>The dtype of the objective's scalar graph on a device: float64 on the CPU, float32 elsewhere.</summary>
    public static DType ScalarDType(Device device) => device.IsCpu ? DType.F64 : DType.F32;

    /// <summary>A tensor [n] of constants in the device's scalar dtype.</summary>
    public static Tensor Constant(double[] values, Device device) => Tensor.FromDoubles(values, new Shape(values.Length), ScalarDType(device), device);

    /// <summary>The per-sequence values in the device's scalar dtype.</summary>
    public static Tensor Wide(Tensor t) => t.DType == ScalarDType(t.Device) ? t : t.To(ScalarDType(t.Device));

    public static double Mean(IEnumerable<double> values)
    {
        var list = values as IReadOnlyCollection<double> ?? values.ToList();
        return list.Count == 0 ? 0 : list.Sum() / list.Count;
    }
}
