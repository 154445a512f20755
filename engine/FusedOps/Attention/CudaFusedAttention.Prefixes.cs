using StyleAlign.Engine.Core;
using StyleAlign.Engine.Cuda.Backend;
using Tensor = StyleAlign.Engine.Core.Tensor;

namespace StyleAlign.Engine.FusedOps.Attention;

// Key prefixes on CUDA: the kernels know only plain key segments (cu_seqlens_k), so segments that read a key prefix
// run on materialized keys. An index gather copies each segment's [prefix ; own keys] into one run of new K and V
// rows, the ordinary kernels attend over those, and backward scatter-adds the gradients of the copies back into the
// rows they came from (summed in F32 where several segments read one prefix row). It costs one copy of the prefix
// rows per reading segment, in forward and again in backward.
public sealed partial class CudaFusedAttention
{
    private (Tensor Output, Tensor LogSumExp) ForwardOnMaterializedKeys(Tensor q, Tensor k, Tensor v, AttentionSegments segments, AttentionOptions options)
    {
        using var scratch = new CudaBackend.Scratch(_backend);
        var (plain, km, vm, _) = MaterializeKeys(scratch, k, v, segments);
        return Forward(q, km, vm, plain, options);
    }

    private (Tensor GradQ, Tensor GradK, Tensor GradV) BackwardOnMaterializedKeys(
        Tensor q, Tensor k, Tensor v, Tensor output, Tensor logSumExp, Tensor gradOutput, AttentionSegments segments, AttentionOptions options)
    {
        using var scratch = new CudaBackend.Scratch(_backend);
        var (plain, km, vm, rows) = MaterializeKeys(scratch, k, v, segments);
        var (dq, dkm, dvm) = Backward(q, km, vm, output, logSumExp, gradOutput, plain, options);
        scratch.Own(dkm);
        scratch.Own(dvm);
        return (dq, SumIntoSourceRows(scratch, dkm, rows, k.Shape), SumIntoSourceRows(scratch, dvm, rows, v.Shape));
    }

    private (AttentionSegments Plain, Tensor K, Tensor V, Tensor Rows) MaterializeKeys(
        CudaBackend.Scratch scratch, Tensor k, Tensor v, AttentionSegments segments)
    {
        var (plain, keyRows) = segments.WithPrefixesMaterialized();
        var rows = scratch.Own(new Tensor(_backend.Upload(keyRows, DType.I32), Layout.Contiguous(new Shape(keyRows.Length))));
        return (plain, scratch.Own(_backend.IndexSelect(k, 0, rows)), scratch.Own(_backend.IndexSelect(v, 0, rows)), rows);
    }

    private Tensor SumIntoSourceRows(CudaBackend.Scratch scratch, Tensor gradient, Tensor rows, Shape sourceShape)
    {
        var zeros = scratch.New(sourceShape, gradient.DType);
        _backend.Context.Fill(Storage(zeros), 0);
        return _backend.IndexAdd(zeros, 0, rows, gradient);
    }
}
