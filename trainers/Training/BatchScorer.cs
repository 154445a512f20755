using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.LogProbs;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Nn;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Objectives;

namespace StyleAlign.Trainers.Training;

/// <summary>
/// Per-row completion log-probs of a batch: the multimodal forward over the packed rows (each pair's prompt once) to the
/// final hidden states, then only the completion target positions reach the LM head through the fused linear + log-prob
/// op, so no [N, V] logits are held.
/// </summary>
public static class BatchScorer
{
    /// <summary>Image embeddings once per pair ([ΣP/4, hidden]); null for a batch without images.</summary>
    public static Tensor? EncodeImages(Qwen25VLModel model, PreferenceBatch batch) =>
        batch.PixelValues is null ? null : model.EncodeImages(batch.PixelValues, batch.PairGrids);

    /// <param name="pairImageEmbeds">the pair-level embeddings from <see cref="EncodeImages"/>: the shared prompt reads them
    /// once; unshared rows reuse the same tensor so autograd sums their gradients into it</param>
    public static RowLogProbs Score(Qwen25VLModel model, PreferenceBatch batch, Tensor? pairImageEmbeds, bool withVocabMean = false)
    {
        var packed = batch.Pack(model);
        var embeds = pairImageEmbeds is null || !packed.RepeatsImages ? pairImageEmbeds : Tensor.Cat([pairImageEmbeds, pairImageEmbeds], 0);
        var hidden = model.ForwardPacked(packed.Sequences, embeds);
        var selection = CompletionGather.SelectRows(hidden, packed.TargetRows, packed.Targets, packed.TargetSegments, batch.Rows);
        var logProbs = TokenLogProbs.Compute(selection.Hidden, model.LmHead, selection.Targets);
        var sums = Segments.Sum(logProbs, selection.SegmentIds, batch.Rows);
        Tensor? vocabMeanSums = null;
        if (withVocabMean)
        {
            // mean_v log p(v) = h·mean_v(W_v) − z_y + ℓ: linear in h, so no [N, V] logits are needed.
            var n = selection.Hidden.Shape[0];
            var meanRow = model.LmHead.Mean(0, keepDim: true);
            var hiddenDotMean = Functional.Linear(selection.Hidden, meanRow, null).Reshape(n);
            var targetLogit = (selection.Hidden * Functional.Embedding(model.LmHead, selection.Targets)).Sum(1);
            vocabMeanSums = Segments.Sum(hiddenDotMean - targetLogit + logProbs, selection.SegmentIds, batch.Rows);
        }
        return new RowLogProbs(sums, batch.TargetCounts(), vocabMeanSums);
    }

    /// <summary>Sequence sums and lengths without recording history (reference and evaluation passes).</summary>
    public static (double[] Sums, double[] Lengths) ScoreValues(Qwen25VLModel model, PreferenceBatch batch)
    {
        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        var rows = Score(model, batch, EncodeImages(model, batch));
        return (rows.Sums.ToDoubleArray(), rows.Lengths);
    }
}
