using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Evaluation;

namespace StyleAlign.Trainers.Training;

/// <summary>
/// The evaluated Qwen2.5-VL behind the evaluation interfaces: scores a caption with exactly the training rows
/// (same template, targets = caption tokens + &lt;|im_end|&gt;) and writes captions through the engine's
/// <see cref="CaptionSession"/>, greedily (or sampled) until &lt;|im_end|&gt;, the token training targets end with.
/// </summary>
public sealed class QwenCaptionModel(Qwen25VLModel model, PreferenceCollator collator, GenerationOptions? generation = null) : ICaptionScorer, ICaptionGenerator
{
    private readonly CaptionSession _captions = new(model, collator.Tokenizer, collator.Processor, collator.Options.SystemPrompt);

    public (double MeanLogProb, double SumLogProb, int Tokens) Score(PreferenceExample example, string caption)
    {
        var batch = collator.Collate([example with { Chosen = caption }], includeRejected: false);
        var (sums, lengths) = BatchScorer.ScoreValues(model, batch);
        return (sums[0] / lengths[0], sums[0], (int)lengths[0]);
    }

    public string Generate(PreferenceExample example)
    {
        var options = (generation ?? new GenerationOptions { MaxNewTokens = collator.Options.MaxCaptionTokens }) with { StopTokens = [collator.Tokenizer.ImEndId] };
        return _captions.Caption([collator.CaptionRequest(example)], options)[0];
    }

    /// <summary>
    /// WR-LogP, Style-Acc (greedy captions of at most <paramref name="maxNewTokens"/> tokens, judged by
    /// <paramref name="judge"/>), the judge's ceiling and the captions' content, with CLIPScore from the judge's CLIP.
    /// </summary>
    public static StyleEvaluationResult Evaluate(Qwen25VLModel model, PreferenceCollator collator, ClipStyleJudge judge, IReadOnlyList<PreferenceExample> test, int maxNewTokens)
    {
        using var noGrad = GradMode.NoGrad();
        var qwen = new QwenCaptionModel(model, collator, new GenerationOptions { MaxNewTokens = maxNewTokens });
        return StyleEvaluator.Evaluate(test, qwen, qwen, judge, contentClip: judge.Embeddings);
    }
}
