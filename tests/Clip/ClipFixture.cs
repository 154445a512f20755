using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO;

namespace StyleAlign.Tests.Clip;

/// <summary>Reference tensors of the tiny CLIPModel produced by transformers (fixtures/clip_tiny).</summary>
internal static class ClipFixture
{
    public static string Folder => Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "clip_tiny");

    public static Dictionary<string, (int[] Shape, double[] Values)> Read(string fileName)
    {
        using var file = SafetensorsFile.Open(Path.Combine(Folder, fileName));
        var result = new Dictionary<string, (int[], double[])>(StringComparer.Ordinal);
        foreach (var (name, entry) in file.Entries)
            result[name] = (entry.Shape.Select(d => (int)d).ToArray(), file.ReadAsFloat64(name));
        return result;
    }

    public static Tensor ToTensor((int[] Shape, double[] Values) t, DType dtype) => Tensor.FromDoubles(t.Values, new Shape(t.Shape), dtype);

    /// <summary>Asserts shape and |actual − expected| ≤ atol + rtol·max|expected| element-wise, naming the worst element.</summary>
    public static void AssertClose(string what, Tensor actual, (int[] Shape, double[] Values) expected, double atol, double rtolOfMax = 0)
    {
        Assert.That(actual.Shape.ToArray(), Is.EqualTo(expected.Shape), $"{what}: shape");
        var got = actual.ToDoubleArray();
        var scale = expected.Values.Length == 0 ? 0 : expected.Values.Max(Math.Abs);
        var tolerance = atol + rtolOfMax * scale;
        var worst = 0;
        var worstError = 0.0;
        for (var i = 0; i < got.Length; i++)
        {
            var error = Math.Abs(got[i] - expected.Values[i]);
            if (!(error <= worstError)) (worst, worstError) = (i, error);
        }
        var relative = worstError / Math.Max(Math.Abs(expected.Values.ElementAtOrDefault(worst)), 1e-30);
        Assert.That(worstError, Is.LessThanOrEqualTo(tolerance),
            $"{what}: element {worst} is {got.ElementAtOrDefault(worst)}, expected {expected.Values.ElementAtOrDefault(worst)}; " +
            $"max abs error {worstError:g3} (relative {relative:g3}), tolerance {tolerance:g3}");
    }
}
