using System.Text;
using NUnit.Framework;

namespace StyleAlign.Tests.TestSupport;

/// <summary>Element-wise closeness with a report of the first mismatches, the max abs/rel error and the tolerance.</summary>
public static class Compare
{
    public static void AllClose(IReadOnlyList<double> actual, IReadOnlyList<double> expected, double atol, double rtol, string what, Func<int, bool>? include = null)
    {
        Assert.That(actual.Count, Is.EqualTo(expected.Count), $"{what}: element count");
        var failures = new StringBuilder();
        int bad = 0;
        double maxAbs = 0, maxRel = 0;
        for (var i = 0; i < actual.Count; i++)
        {
            if (include is not null && !include(i)) continue;
            var diff = Math.Abs(actual[i] - expected[i]);
            maxAbs = Math.Max(maxAbs, diff);
            if (expected[i] != 0) maxRel = Math.Max(maxRel, diff / Math.Abs(expected[i]));
            if (double.IsNaN(actual[i]) || diff > atol + rtol * Math.Abs(expected[i]))
            {
                if (bad++ < 5) failures.Append($"\n  [{i}] actual {actual[i]:G9} expected {expected[i]:G9}");
            }
        }
        if (bad > 0)
            Assert.Fail($"{what}: {bad} of {actual.Count} elements differ (max abs {maxAbs:G3}, max rel {maxRel:G3}; atol {atol:G3}, rtol {rtol:G3}):{failures}");
    }

    public static void AllClose(IReadOnlyList<float> actual, IReadOnlyList<float> expected, double atol, double rtol, string what, Func<int, bool>? include = null) =>
        AllClose(actual.Select(v => (double)v).ToArray(), expected.Select(v => (double)v).ToArray(), atol, rtol, what, include);

    /// <summary>Gradient closeness relative to the tensor's own scale: |a − e| ≤ atol + rtol·max|e|.</summary>
    public static void GradientClose(IReadOnlyList<float> actual, IReadOnlyList<float> expected, double atol, double rtol, string what)
    {
        var scale = expected.Count == 0 ? 0 : expected.Max(v => Math.Abs((double)v));
        AllClose(actual, expected, atol + rtol * scale, 0, what);
    }

    public static string FixturePath(params string[] parts) =>
        Path.Combine([TestContext.CurrentContext.TestDirectory, "fixtures", .. parts]);
}
