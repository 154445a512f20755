using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;
using StyleAlign.Engine.Models.Qwen25VL;

namespace StyleAlign.Bench.Harness;

/// <summary>
/// Model FLOPs of one Qwen2.5-VL training step (docs/performance.md, "Model FLOPs and MFU"): per parameter and token,
/// 6 for a trained parameter (forward, input gradient, weight gradient), 4 for a frozen one the backward passes through
/// (forward and input gradient: the decoder's base weights under LoRA, the LM head), 2 for a frozen one only run
/// forward (the vision tower); the LM head counts only the completion target rows it sees, the merger only the merged
/// tokens. Attention adds 4·H·D per (query, visible key) pair and layer in forward, three times that when
/// back-propagated. Recomputation (activation checkpointing, the fused log-prob's backward) is not model work.
/// </summary>
public static class ModelFlops
{
    public sealed record Breakdown(double Decoder, double LmHead, double Vision, double Attention)
    {
        public double Total => Decoder + LmHead + Vision + Attention;
    }

    /// <param name="trained">the tensors the optimizer updates (model parameters or LoRA adapters)</param>
    /// <param name="decoderTokens">tokens through the decoder (packed)</param>
    /// <param name="targets">completion target rows through the LM head</param>
    public static Breakdown Step(Qwen25VLModel model, IReadOnlyList<Tensor> trained, int decoderTokens, int targets, AttentionSegments decoderSegments,
        IReadOnlyList<(int T, int H, int W)> grids)
    {
        var isTrained = new HashSet<Tensor>(trained, ReferenceEqualityComparer.Instance);
        double decoder = 0, vision = 0;
        var patches = grids.Sum(g => (double)g.T * g.H * g.W);
        var merge = model.Config.Vision.SpatialMergeSize;
        foreach (var (name, p) in model.Parameters.All)
        {
            var factor = isTrained.Contains(p) ? 6.0 : 4.0;
            if (name.StartsWith("model.layers.", StringComparison.Ordinal)) decoder += factor * p.NumElements * decoderTokens;
            else if (name.StartsWith("visual.", StringComparison.Ordinal))
                vision += (isTrained.Contains(p) ? 6.0 : 2.0) * p.NumElements * (name.StartsWith("visual.merger.mlp", StringComparison.Ordinal) ? patches / (merge * merge) : patches);
        }
        // Adapters are trained leaves outside the model's parameters.
        var modelTensors = new HashSet<Tensor>(model.Parameters.All.Select(p => p.Value), ReferenceEqualityComparer.Instance);
        decoder += trained.Where(t => !modelTensors.Contains(t)).Sum(t => 6.0 * t.NumElements * decoderTokens);
        var lmHead = (isTrained.Contains(model.LmHead) ? 6.0 : 4.0) * model.LmHead.NumElements * targets;

        var text = model.Config.Text;
        var decoderAttention = 3 * 4.0 * text.NumAttentionHeads * text.HeadDim * VisiblePairs(decoderSegments, causal: true) * text.NumHiddenLayers;
        var visionConfig = model.Config.Vision;
        var layout = VisionLayout.Build(grids, merge, visionConfig.WindowSize, visionConfig.PatchSize);
        var fullBlocks = visionConfig.FullattBlockIndexes.Count(i => i < visionConfig.Depth);
        var visionPairs = fullBlocks * SquaredLengths(layout.CuSeqlens) + (visionConfig.Depth - fullBlocks) * SquaredLengths(layout.CuWindowSeqlens);
        var visionAttention = (model.VisionTrainable ? 3 : 1) * 4.0 * visionConfig.HiddenSize * visionPairs;
        return new Breakdown(decoder, lmHead, vision, decoderAttention + visionAttention);
    }

    /// <summary>(query, key) pairs a query can see, summed over segments (with their key prefixes).</summary>
    public static double VisiblePairs(AttentionSegments segments, bool causal)
    {
        double pairs = 0;
        for (var s = 0; s < segments.Count; s++)
        {
            var lengthQ = segments[s].LengthQ;
            var lengthK = segments.KeyPrefix(s).Length + segments[s].LengthK;
            var diagonal = lengthK - lengthQ;
            for (var i = 0; i < lengthQ; i++) pairs += causal ? Math.Clamp(i + diagonal + 1, 0, lengthK) : lengthK;
        }
        return pairs;
    }

    private static double SquaredLengths(int[] cu)
    {
        double sum = 0;
        for (var s = 0; s + 1 < cu.Length; s++) sum += (double)(cu[s + 1] - cu[s]) * (cu[s + 1] - cu[s]);
        return sum;
    }
}
