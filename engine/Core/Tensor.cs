using StyleAlign.Engine.Autograd;

namespace StyleAlign.Engine.Core;

/// <summary>
/// An n-dimensional array with a runtime dtype and device: a Layout over a ref-counted Storage.
/// Views share storage; ops go through the device's backend and record autograd history
/// when an input requires grad.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private bool _disposed;

    internal Tensor(Storage storage, Layout layout, bool retain = false)
    {
        if (retain) storage.Retain();
        Storage = storage;
        Layout = layout;
        TensorScope.Track(this);
    }

    public Storage Storage { get; }

    public Layout Layout { get; }

    public Shape Shape => Layout.Shape;

    public DType DType => Storage.DType;

    public Device Device => Storage.Device;

    public IBackend Backend => Backends.For(Device);

    public int Rank => Layout.Rank;

    public long NumElements => Shape.NumElements;

    public bool IsContiguous => Layout.IsContiguous;

    /// <summary>Whether gradients flow to this tensor. Set it on leaves (parameters); ops set it on their outputs.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>Accumulated gradient of a leaf after <see cref="Backward"/>.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The op that produced this tensor, when its history was recorded.</summary>
    public Op? GradFn { get; internal set; }

    /// <summary>Optional name used in error messages and checkpoints.</summary>
    public string? Name { get; set; }

    internal TensorScope? Owner { get; set; }

    public bool IsDisposed => _disposed;

    public int Size(int dim) => Shape[dim];

    /// <summary>Releases this tensor's reference to its storage (views keep their own).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Storage.Release();
    }

    /// <summary>Moves this tensor out of the current tensor scope so it survives the end of the step.</summary>
    public Tensor Keep()
    {
        TensorScope.Keep(this);
        return this;
    }

    /// <summary>A tensor that shares storage but carries no history.</summary>
    public Tensor Detach() => new(Storage, Layout, retain: true);

    /// <summary>Back-propagates from this scalar (or from the given output gradient) into every leaf's Grad.</summary>
    public void Backward(Tensor? gradOutput = null) => Autograd.Backward.Run(this, gradOutput);

    internal void ThrowIfDisposed()
    {
        if (_disposed || Storage.IsFreed)
            throw new ObjectDisposedException(Name ?? $"tensor {Shape}", "the tensor was disposed (was it created inside a TensorScope that has ended? call Keep())");
    }
}
