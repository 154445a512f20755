using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Autograd;

/// <summary>
/// The scope of one step. Every tensor created while a tape is current belongs to it and is disposed when the
/// tape ends, unless it was moved out with <see cref="Tensor.Keep"/>. Tapes nest per thread.
/// Grad mode is separate: <see cref="NoGrad"/> stops ops from recording history.
/// </summary>
public sealed class Tape : IDisposable
{
    [ThreadStatic] private static Tape? _current;
    [ThreadStatic] private static int _noGradDepth;

    private readonly List<Tensor> _owned = [];
    private readonly Tape? _parent;
    private bool _ended;

    private Tape()
    {
        _parent = _current;
        _current = this;
    }

    /// <summary>Starts a new tape that owns every tensor created until it is disposed.</summary>
    public static Tape Begin() => new();

    public static Tape? Current => _current;

    public static bool IsGradEnabled => _noGradDepth == 0;

    /// <summary>Disables history recording until the returned scope is disposed.</summary>
    public static IDisposable NoGrad()
    {
        _noGradDepth++;
        return new GradModeScope();
    }

    /// <summary>Number of tensors the tape currently owns (for tests and leak reports).</summary>
    public int OwnedCount => _owned.Count(t => ReferenceEquals(t.Owner, this));

    internal static bool ShouldRecord(ReadOnlySpan<Tensor> inputs)
    {
        if (!IsGradEnabled) return false;
        foreach (var t in inputs)
            if (t.RequiresGrad) return true;
        return false;
    }

    internal static void Track(Tensor t)
    {
        var tape = _current;
        if (tape is null) return;
        t.Owner = tape;
        tape._owned.Add(t);
    }

    internal static void Keep(Tensor t)
    {
        var owner = t.Owner;
        if (owner is null) return;
        var parent = owner._parent;
        t.Owner = parent;
        parent?._owned.Add(t);
    }

    /// <summary>Creates tensors that no tape owns (optimizer state, gradients of parameters).</summary>
    public static T Untracked<T>(Func<T> create)
    {
        var saved = _current;
        _current = null;
        try
        {
            return create();
        }
        finally
        {
            _current = saved;
        }
    }

    public void Dispose()
    {
        if (_ended) return;
        _ended = true;
        if (!ReferenceEquals(_current, this))
            throw new InvalidOperationException("tapes must end in the reverse order they began");
        _current = _parent;
        foreach (var t in _owned)
            if (ReferenceEquals(t.Owner, this))
            {
                t.Owner = null;
                t.GradFn = null;
                t.Dispose();
            }
        _owned.Clear();
    }

    private sealed class GradModeScope : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            _noGradDepth--;
        }
    }
}
