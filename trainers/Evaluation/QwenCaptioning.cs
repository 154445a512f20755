using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Vision;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Training;

namespace StyleAlign.Trainers.Evaluation;

/// <summary>
/// Scores a caption under a Qwen2.5-VL model exactly as training does: the same chat template, image processing
/// and target mask (caption tokens plus the end-of-turn token), through the fused log-prob path.
/// </summary>
public sealed class QwenCaptionScorer(Qwen25VLModel model, PreferenceCollator collator) : ICaptionScorer
{
    public (double MeanLogProb, double SumLogProb, int Tokens) Score(PreferenceExample example, string caption)
    {
        using var noGrad = Tape.NoGrad();
        using var tape = Tape.Begin();
        var batch = collator.Collate([example with { Chosen = caption, Rejected = null }], includeRejected: false);
        var (sums, lengths) = BatchScorer.ScoreValues(model, batch);
        return (sums[0] / lengths[0], sums[0], (int)lengths[0]);
    }
}

/// <summary>Writes one caption for an example's image and prompt (the prompt carries the style instruction).</summary>
public sealed class QwenCaptionGenerator(CaptionSession session, GenerationOptions options) : ICaptionGenerator
{
    public string Generate(PreferenceExample example) =>
        session.Caption([(ImageDecoder.Load(example.ImagePath), example.Prompt)], options)[0];
}
