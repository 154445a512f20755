using System.Diagnostics;

namespace StyleAlign.Engine.IO;

/// <summary>
/// The process's peak resident memory over its lifetime and within one step. On Linux the kernel's high-water mark
/// is reset when a step begins (writing 5 to /proc/self/clear_refs), after it has been folded into the lifetime
/// peak, so the mark read when the step ends is that step's own. Where it cannot be reset, no step peak is given.
/// </summary>
public sealed class PeakMemory
{
    private const string ClearRefs = "/proc/self/clear_refs";
    private long _lifetimeBytes;
    private bool _stepResettable = File.Exists(ClearRefs);

    /// <summary>Starts a step: the peak so far joins the lifetime peak and the high-water mark starts again from now.</summary>
    public void BeginStep()
    {
        _lifetimeBytes = Math.Max(_lifetimeBytes, HighWaterMark());
        if (!_stepResettable) return;
        try
        {
            File.WriteAllText(ClearRefs, "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _stepResettable = false;
        }
    }

    /// <summary>Ends a step: its own peak (null where the mark cannot be reset) and the lifetime peak, in bytes.</summary>
    public (long? StepBytes, long LifetimeBytes) EndStep()
    {
        var step = HighWaterMark();
        _lifetimeBytes = Math.Max(_lifetimeBytes, step);
        return (_stepResettable ? step : null, _lifetimeBytes);
    }

    private static long HighWaterMark()
    {
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}
