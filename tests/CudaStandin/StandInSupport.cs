using System.Runtime.InteropServices;
using NUnit.Framework;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Interop;
using StyleAlign.Tests.Cuda;

namespace StyleAlign.Tests.CudaStandin;

/// <summary>
/// Helpers for tests of the CPU stand-in itself (tests/cuda-standin): they need the checks only the stand-in makes, so
/// on a real GPU (or with no device) they are ignored with that reason.
/// </summary>
internal static unsafe class StandInSupport
{
    public static CudaContext RequireStandIn()
    {
        var context = CudaTestSupport.RequireDevice();
        if (CudaProbe.Current.StandIn is null)
            Assert.Ignore($"checks the CPU stand-in's own fault detection; {context.DeviceName} is a GPU, which does not report these faults");
        return context;
    }

    /// <summary>
    /// Runs <paramref name="work"/> (which launches and synchronizes) and returns the fault it must raise. The stand-in's
    /// sticky error is cleared afterwards — a real driver would need a context reset — so later tests run normally.
    /// </summary>
    public static CudaException ExpectFault(Action work, string errorName, params string[] mentions)
    {
        CudaException? error;
        try
        {
            error = Assert.Throws<CudaException>(() => work());
        }
        finally
        {
            ClearStickyError();
        }
        TestContext.Progress.WriteLine($"cuda-standin caught: {error!.Message}");
        Assert.That(error.ErrorName, Does.Contain(errorName), error.Message);
        foreach (var mention in mentions) Assert.That(error.Message, Does.Contain(mention), error.Message);
        return error;
    }

    public static void ClearStickyError()
    {
        NativeLibraries.TryLoad(CudaLibrary.Driver, out var handle, out _);
        if (NativeLibrary.TryGetExport(handle, "sa_standin_clear_sticky_error", out var clear)) ((delegate* unmanaged<void>)clear)();
    }

    /// <summary>The largest |a − e| / (atol + rtol·|e|) over the elements: above 1 means the tensors differ beyond the tolerance.</summary>
    public static double WorstViolation(Tensor actual, Tensor expected, DType dtype)
    {
        var (atol, rtol) = Cuda.Conformance.Conformance.ElementTolerance(dtype);
        var a = actual.ToDoubleArray();
        var e = expected.ToDoubleArray();
        var worst = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            if (double.IsNaN(a[i]) != double.IsNaN(e[i])) return double.PositiveInfinity;
            if (double.IsNaN(e[i]) || a[i] == e[i]) continue;
            worst = Math.Max(worst, Math.Abs(a[i] - e[i]) / (atol + rtol * Math.Abs(e[i])));
        }
        return worst;
    }
}
