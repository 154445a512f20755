using NUnit.Framework;
using StyleAlign.Engine.Core;

namespace StyleAlign.Tests.Cuda.Conformance;

/// <summary>Marks a CUDA-vs-CPU conformance test as covering an op class; <see cref="CudaConformanceCatalogTests"/> reads these.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class CudaCaseForAttribute(Type opType) : Attribute
{
    public Type OpType { get; } = opType;
}

/// <summary>
/// Runs one function on the CPU (the oracle, F32) and on CUDA (F32 or BF16 storage) from the same inputs, then
/// compares the outputs and the gradients of every differentiable input. BF16 inputs are rounded for the oracle
/// too, so both sides see the same values. Each comparison's error goes to the progress log, so a GPU run records it.
/// </summary>
internal static class Conformance
{
    public static readonly DType[] FloatTypes = [DType.F32, DType.BF16];

    /// <summary>
    /// Set by <see cref="CudaConformanceCatalogTests"/> to run the cases with the CPU standing in for the device, so the
    /// cases themselves (shapes, indices, gradients present) are checked where there is no GPU.
    /// </summary>
    [ThreadStatic] internal static bool CpuStandsInForDevice;

    /// <summary>The device under test: CUDA (the test is ignored without one), or the CPU in the stand-in run.</summary>
    public static Device TestDevice() => CpuStandsInForDevice ? Device.Cpu : Device.Cuda(CudaTestSupport.RequireDevice().DeviceIndex);

    /// <summary>A copy of x on the device under test in dtype; the CPU stand-in keeps F32 with the values rounded through dtype.</summary>
    public static Tensor OnDevice(Tensor x, DType dtype) =>
        !x.DType.IsFloat() ? x.To(TestDevice())
        : CpuStandsInForDevice ? RoundedOracle(x, dtype) : x.To(dtype).To(TestDevice());

    /// <summary>Largest error allowed, relative to the largest reference magnitude (bf16 keeps 8 significant bits).</summary>
    public static double Tolerance(DType dtype) => dtype == DType.BF16 ? 2e-2 : 2e-4;

    public static Tensor Random(int seed, params int[] shape) => Tensor.RandN(new Shape(shape), new RandomGenerator((ulong)seed));

    /// <summary>Values in [low, high), for functions with a restricted domain.</summary>
    public static Tensor Uniform(int seed, double low, double high, params int[] shape) =>
        Tensor.Rand(new Shape(shape), new RandomGenerator((ulong)seed), low, high);

    public static Tensor Indices(params long[] values) => Tensor.FromArray(values);

    public static Tensor Indices(long[] values, params int[] shape) => Tensor.FromArray(values, shape);

    /// <summary>
    /// Compares f on both devices. <paramref name="differentiable"/> lists the inputs whose gradients are compared
    /// (float inputs only); with none, or a non-float output, only the forward is compared.
    /// <paramref name="bf16GradientAtol"/> raises the absolute floor of BF16 gradient comparisons for a gradient that sums
    /// many BF16-rounded terms (a weight gradient over hundreds of rows): its rounding noise grows with √terms.
    /// </summary>
    public static void Check(string label, DType dtype, Tensor[] inputs, int[] differentiable, Func<Tensor[], Tensor> f, double? bf16GradientAtol = null)
    {
        var device = TestDevice();
        var cpu = inputs.Select(x => x.DType.IsFloat() ? RoundedOracle(x, dtype) : x.Clone()).ToArray();
        var gpu = inputs.Select(x => OnDevice(x, dtype)).ToArray();
        foreach (var i in differentiable)
        {
            cpu[i].RequiresGrad = true;
            gpu[i].RequiresGrad = true;
        }
        using var scope = TensorScope.Begin();
        var expected = f(cpu);
        var actual = f(gpu);
        Assert.That(actual.Device, Is.EqualTo(device), $"{label}: the output stays on the device");
        Assert.That(actual.Shape, Is.EqualTo(expected.Shape), $"{label}: output shape");
        Compare($"{label} forward", actual, expected, dtype);
        if (differentiable.Length == 0 || !expected.DType.IsFloat()) return;

        // One projection for both sides, held in the output's dtype (a cast's output need not have the inputs' dtype).
        var projection = RoundedOracle(Random(4242, expected.Shape.ToArray()), dtype);
        (expected * projection).Sum().Backward();
        (actual * projection.To(actual.DType).To(device)).Sum().Backward();
        foreach (var i in differentiable)
        {
            Assert.That(cpu[i].Grad, Is.Not.Null, $"{label}: the CPU gradient of input {i}");
            Assert.That(gpu[i].Grad, Is.Not.Null, $"{label}: the CUDA gradient of input {i}");
            Compare($"{label} grad[{i}]", gpu[i].Grad!, cpu[i].Grad!, dtype, dtype == DType.BF16 ? bf16GradientAtol : null);
        }
    }

    /// <summary>The F32 oracle of a tensor the device holds in dtype: rounded through dtype.</summary>
    public static Tensor RoundedOracle(Tensor x, DType dtype) => dtype == DType.F32 ? x.To(DType.F32).Clone() : x.To(dtype).To(DType.F32);

    /// <summary>
    /// Element-wise tolerance: |actual − expected| ≤ atol + rtol·|expected| for every element. The device keeps its
    /// results in dtype and rounds intermediates to it, so BF16 allows about four roundings of 2⁻⁹ relative, and an
    /// absolute floor for elements that cancel to near zero.
    /// </summary>
    public static (double Atol, double Rtol) ElementTolerance(DType dtype) => dtype == DType.BF16 ? (2e-2, 1.6e-2) : (1e-5, 1e-4);

    public static void Compare(string what, Tensor actual, Tensor expected, DType dtype, double? atolOverride = null)
    {
        if (!expected.DType.IsFloat())
        {
            CompareStoredValues(what, actual, expected);
            return;
        }
        CudaComparisons.Record();
        var a = actual.ToDoubleArray();
        var e = expected.ToDoubleArray();
        Assert.That(a.Length, Is.EqualTo(e.Length), $"{what}: element count");
        var (atol, rtol) = ElementTolerance(dtype);
        atol = atolOverride ?? atol;
        double maxAbs = 0, maxRef = 0, worst = 0;
        var failures = new System.Text.StringBuilder();
        var bad = 0;
        for (var i = 0; i < a.Length; i++)
        {
            if (double.IsNaN(e[i]) || double.IsNaN(a[i]))
            {
                Assert.That(double.IsNaN(a[i]), Is.EqualTo(double.IsNaN(e[i])), $"{what}: NaN at element {i} on one device only ({a[i]} vs {e[i]})");
                continue;
            }
            if (double.IsInfinity(e[i]))
            {
                Assert.That(a[i], Is.EqualTo(e[i]), $"{what}: infinity at element {i}");
                continue;
            }
            var diff = Math.Abs(a[i] - e[i]);
            maxAbs = Math.Max(maxAbs, diff);
            maxRef = Math.Max(maxRef, Math.Abs(e[i]));
            var bound = atol + rtol * Math.Abs(e[i]);
            worst = Math.Max(worst, diff / bound);
            if (diff > bound && bad++ < 5) failures.Append($"\n  [{i}] actual {a[i]:G9} expected {e[i]:G9} (allowed {bound:G3})");
        }
        var relative = maxAbs / Math.Max(maxRef, 1e-3);
        TestContext.Progress.WriteLine($"cuda-conformance {what} [{dtype}] max abs error {maxAbs:G3} (max |ref| {maxRef:G3}); " +
                                       $"worst element at {worst:G3} of its tolerance (atol {atol:G3}, rtol {rtol:G3})");
        Assert.That(bad, Is.Zero, $"{what} [{dtype}]: {bad} of {a.Length} elements differ by more than atol {atol:G3} + rtol {rtol:G3}·|expected| " +
                                  $"(max abs error {maxAbs:G3}):{failures}");
        // The older bound relative to the largest reference stays, except where the caller set the tolerance itself.
        if (atolOverride is null)
            Assert.That(relative, Is.LessThanOrEqualTo(Tolerance(dtype)), $"{what} [{dtype}]: max abs error {maxAbs:G3} against max |ref| {maxRef:G3}");
    }

    /// <summary>
    /// Exact comparison in the storage type, for results with one right answer (integers, and casts whose rounding is
    /// defined): through doubles, two I64 values above 2⁵³ could look equal, and a tolerance would hide one ulp.
    /// </summary>
    public static void CompareStoredValues(string what, Tensor actual, Tensor expected)
    {
        CudaComparisons.Record();
        Assert.That(actual.DType, Is.EqualTo(expected.DType), $"{what}: dtype");
        var (a, e) = (Backends.For(actual.Device).Download(actual), Backends.For(expected.Device).Download(expected));
        Assert.That(a.Length, Is.EqualTo(e.Length), $"{what}: element count");
        var mismatches = Enumerable.Range(0, e.Length).Where(i => !Equals(a.GetValue(i), e.GetValue(i))).ToList();
        TestContext.Progress.WriteLine($"cuda-conformance {what} {expected.DType}: {mismatches.Count} of {e.Length} elements differ");
        Assert.That(mismatches, Is.Empty, $"{what}: exact {expected.DType} result; first differences: " +
            string.Join(", ", mismatches.Take(5).Select(i => $"[{i}] actual {a.GetValue(i)} expected {e.GetValue(i)}")));
    }
}
