using StyleAlign.Engine.Core;

namespace StyleAlign.Engine.Autograd;

/// <summary>
/// Whether ops record autograd history on this thread. Recording is on by default; <see cref="NoGrad"/> turns it
/// off for inference and for the backward pass itself. Which tensors are freed when is the business of
/// <see cref="TensorScope"/>, not of this switch.
/// </summary>
public static class GradMode
{
    [ThreadStatic] private static int _noGradDepth;

    public static bool IsEnabled => _noGradDepth == 0;

    /// <summary>Disables history recording until the returned scope is disposed.</summary>
    public static IDisposable NoGrad()
    {
        _noGradDepth++;
        return new NoGradScope();
    }

    internal static bool ShouldRecord(ReadOnlySpan<Tensor> inputs)
    {
        if (!IsEnabled) return false;
        foreach (var t in inputs)
            if (t.RequiresGrad) return true;
        return false;
    }

    private sealed class NoGradScope : IDisposable
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
