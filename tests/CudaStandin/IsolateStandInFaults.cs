using System.Runtime.InteropServices;
using NUnit.Framework;
using NUnit.Framework.Interfaces;
using StyleAlign.Engine.Cuda;
using StyleAlign.Engine.Cuda.Interop;
using StyleAlign.Tests.CudaStandin;

// A kernel fault leaves a sticky error that fails every later CUDA call of the process, as on a GPU. On the CPU
// stand-in each test is isolated instead: after a test that left one, it is reported and cleared, so only the test
// that caused the fault fails (with the fault's message) and the rest of the run still says something.
[assembly: IsolateStandInFaults]

namespace StyleAlign.Tests.CudaStandin;

[AttributeUsage(AttributeTargets.Assembly)]
public sealed unsafe class IsolateStandInFaultsAttribute : Attribute, ITestAction
{
    public ActionTargets Targets => ActionTargets.Test;

    public void BeforeTest(ITest test)
    {
    }

    public void AfterTest(ITest test)
    {
        if (CudaProbe.Current.StandIn is null || !NativeLibraries.TryLoad(CudaLibrary.Driver, out var handle, out _)) return;
        if (!NativeLibrary.TryGetExport(handle, "sa_standin_sticky_error", out var query)) return;
        var sticky = ((delegate* unmanaged<int>)query)();
        if (sticky == 0) return;
        TestContext.Progress.WriteLine($"cuda-standin: {test.FullName} left {CuDriver.ErrorName(sticky)}; cleared for the next test");
        StandInSupport.ClearStickyError();
    }
}
