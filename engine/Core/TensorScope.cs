namespace StyleAlign.Engine.Core;

/// <summary>
/// The ownership scope of one step. Every tensor created while a scope is current belongs to it and is disposed
/// when the scope ends, unless it was moved out with <see cref="Tensor.Keep"/>. Scopes nest per thread. Whether
/// ops record autograd history is a separate switch (<c>GradMode.NoGrad</c>).
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;
    private static long _endedScopes;

    private readonly List<Tensor> _owned = [];
    private readonly TensorScope? _parent;
    private bool _ended;

    private TensorScope()
    {
        _parent = _current;
        _current = this;
    }

    /// <summary>Starts a new scope that owns every tensor created until it is disposed.</summary>
    public static TensorScope Begin() => new();

    public static TensorScope? Current => _current;

    /// <summary>
    /// How many outermost scopes (steps) have ended, on any thread: the clock by which memory pools tell blocks
    /// used by the last step from blocks idle since an earlier one.
    /// </summary>
    public static long EndedScopes => Interlocked.Read(ref _endedScopes);

    /// <summary>Number of tensors the scope currently owns (for tests and leak reports).</summary>
    public int OwnedCount => _owned.Count(t => ReferenceEquals(t.Owner, this));

    internal static void Track(Tensor t)
    {
        var scope = _current;
        if (scope is null) return;
        t.Owner = scope;
        scope._owned.Add(t);
    }

    /// <summary>Takes a tensor out of its scope altogether (a gradient that becomes a leaf's Grad).</summary>
    internal static void Untrack(Tensor t) => t.Owner = null;

    internal static void Keep(Tensor t)
    {
        var owner = t.Owner;
        if (owner is null) return;
        var parent = owner._parent;
        t.Owner = parent;
        parent?._owned.Add(t);
    }

    /// <summary>
    /// Runs <paramref name="body"/> in a scope of its own and keeps only its result: everything else it created is
    /// freed at once. For a layer of a forward pass that records no autograd history (nothing needs the layer's
    /// temporaries afterwards), so that an inference pass holds one layer's temporaries at a time, not every layer's.
    /// </summary>
    public static Tensor KeepingOnlyResult(Func<Tensor> body)
    {
        using var scope = Begin();
        var result = body();
        // A result made outside (an input handed back) belongs to an outer scope already.
        if (ReferenceEquals(result.Owner, scope)) result.Keep();
        return result;
    }

    /// <summary>Creates tensors that no scope owns (optimizer state, gradients of parameters).</summary>
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
            throw new InvalidOperationException("tensor scopes must end in the reverse order they began");
        _current = _parent;
        foreach (var t in _owned)
            if (ReferenceEquals(t.Owner, this))
            {
                t.Owner = null;
                t.GradFn = null;
                t.Dispose();
            }
        _owned.Clear();
        if (_parent is null) Interlocked.Increment(ref _endedScopes);
    }
}
