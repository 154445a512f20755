using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Autograd;

/// <summary>
/// Whether ops record autograd history on this thread. Recording is on by default; <see cref="NoGrad"/> turns it
/// off for inference and for the backward pass itself; <see cref="Deferred"/> turns it off for a pass that will be
/// recomputed with recording later (activation checkpointing). Which tensors are freed when is the business of
/// <see cref="TensorScope"/>, not of this switch.
/// </summary>
public static class GradMode
{
    [ThreadStatic] private static int _noGradDepth;
    [ThreadStatic] private static bool _deferred;
    [ThreadStatic] private static bool _deferredSawGradient;

    public static bool IsEnabled => _noGradDepth == 0;

    /// <summary>
    /// True when this pass's results will be differentiated: recording is on, or it is deferred to a recomputation.
    /// Random draws that belong to training (dropout) key on this, so a deferred pass and its recomputation agree.
    /// </summary>
    public static bool IsDifferentiating => IsEnabled || _deferred;

    /// <summary>Disables history recording until the returned scope is disposed.</summary>
    public static IDisposable NoGrad() => Enter(deferred: false);

    /// <summary>
    /// Disables history recording for a pass that will be recomputed with recording (activation checkpointing):
    /// <see cref="IsDifferentiating"/> stays true, and the scope notes whether any op saw an input requiring grad.
    /// </summary>
    public static DeferredScope Deferred()
    {
        var scope = new DeferredScope(_noGradDepth, _deferred, _deferredSawGradient);
        _noGradDepth++;
        _deferred = true;
        _deferredSawGradient = false;
        return scope;
    }

    /// <summary>Turns recording on until disposed, whatever encloses it (the recomputation inside a backward pass).</summary>
    internal static IDisposable Recording()
    {
        var scope = new Restore(_noGradDepth, _deferred);
        _noGradDepth = 0;
        _deferred = false;
        return scope;
    }

    internal static bool ShouldRecord(ReadOnlySpan<Tensor> inputs)
    {
        if (!IsEnabled)
        {
            if (_deferred && !_deferredSawGradient)
                foreach (var t in inputs)
                    if (t.RequiresGrad) _deferredSawGradient = true;
            return false;
        }
        foreach (var t in inputs)
            if (t.RequiresGrad) return true;
        return false;
    }

    private static IDisposable Enter(bool deferred)
    {
        var scope = new Restore(_noGradDepth, _deferred);
        _noGradDepth++;
        _deferred = deferred;
        return scope;
    }

    /// <summary>A deferred pass; <see cref="SawGradient"/> says whether it would have recorded history.</summary>
    public sealed class DeferredScope : IDisposable
    {
        private readonly int _depth;
        private readonly bool _outerDeferred, _outerSaw;
        private bool _done, _sawAtEnd;

        internal DeferredScope(int depth, bool outerDeferred, bool outerSaw) => (_depth, _outerDeferred, _outerSaw) = (depth, outerDeferred, outerSaw);

        /// <summary>True when an op of the pass had an input that requires grad.</summary>
        public bool SawGradient => _done ? _sawAtEnd : _deferredSawGradient;

        public void Dispose()
        {
            if (_done) return;
            _sawAtEnd = _deferredSawGradient;
            _done = true;
            _noGradDepth = _depth;
            _deferred = _outerDeferred;
            _deferredSawGradient = _outerSaw || _sawAtEnd;
        }
    }

    private sealed class Restore(int depth, bool deferred) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            _noGradDepth = depth;
            _deferred = deferred;
        }
    }
}
