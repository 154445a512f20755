using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Core;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Evaluation;

namespace StyleAlign.Trainers.Training;

/// <summary>
/// The evaluated Qwen2.5-VL behind the evaluation interfaces: scores a caption with exactly the training rows
/// (same template, targets = caption tokens + &lt;|im_end|&gt;) and writes captions greedily (or sampled) until &lt;|im_end|&gt;.
/// </summary>
public sealed class QwenCaptionModel(Qwen25VLModel model, PreferenceCollator collator, GenerationOptions? generation = null) : ICaptionScorer, ICaptionGenerator
{
    public (double MeanLogProb, double SumLogProb, int Tokens) Score(PreferenceExample example, string caption)
    {
        var batch = collator.Collate([example with { Chosen = caption }], includeRejected: false);
        var (sums, lengths) = BatchScorer.ScoreValues(model, batch);
        return (sums[0] / lengths[0], sums[0], (int)lengths[0]);
    }

    public string Generate(PreferenceExample example)
    {
        using var scope = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        var (pixels, grids) = collator.Images([example]);
        var prompt = collator.PromptIds(example).Select(id => (long)id).ToArray();
        var options = (generation ?? new GenerationOptions { MaxNewTokens = collator.Options.MaxCaptionTokens }) with { StopTokens = [collator.Tokenizer.ImEndId] };
        var ids = Generation.Generate(model, [prompt], model.EncodeImages(pixels, grids), grids, options)[0];
        var vocab = collator.Tokenizer.VocabSize;
        return collator.Tokenizer.Decode(ids.Where(id => id < vocab).Select(id => (int)id), skipSpecial: true);
    }
}
