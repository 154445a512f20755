namespace StyleAlign.Engine.Core;

public sealed partial class Tensor
{
    /// <summary>
    /// Overwrites this tensor's elements (it may be a strided view) with <paramref name="source"/>'s, in place.
    /// Shapes and dtypes must agree; a source on another device is brought over first. Records no autograd
    /// history: this is how weights, gradients and optimizer state are updated in place.
    /// </summary>
    public void CopyFrom(Tensor source)
    {
        ThrowIfDisposed();
        source.ThrowIfDisposed();
        if (source.Shape != Shape) throw new ArgumentException($"cannot copy a {source.Shape} tensor into {Name ?? "a tensor"} of shape {Shape}");
        if (source.DType != DType) throw new ArgumentException($"cannot copy a {source.DType} tensor into {Name ?? "a tensor"} of dtype {DType}");
        if (source.Device == Device)
        {
            Backend.CopyInto(this, source);
            return;
        }
        using var moved = source.To(Device);
        Backend.CopyInto(this, moved);
    }
}
