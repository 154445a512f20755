using StyleAlign.Engine.Core;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.Cuda.Backend;

// Counter-based dropout masks: the same (seed, element index) hash as the CPU backend, so both draw one mask.
public sealed partial class CudaBackend
{
    public Tensor DropoutMask(Shape shape, double p, ulong seed)
    {
        if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability {p} is outside [0, 1]");
        var keep = NewTensor(shape, DType.Bool);
        var n = shape.NumElements;
        if (n > 0)
            _dropout.Mask(n, Address(keep), seed, offset: 0, p);
        return keep;
    }
}
