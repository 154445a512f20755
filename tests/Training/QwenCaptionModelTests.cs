using NUnit.Framework;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Data;
using StyleAlign.Trainers.Evaluation;
using StyleAlign.Trainers.Training;
using StyleAlign.Engine.Nn;

namespace StyleAlign.Tests.Training;

[Category("Unit")]
public class QwenCaptionModelTests
{
    [Test]
    public void Scorer_agrees_with_the_batched_evaluation()
    {
        using var temp = new TempDirectory();
        var (model, collator, examples) = TinyTraining.Setup(temp);
        var captions = new QwenCaptionModel(model, collator, new GenerationOptions { MaxNewTokens = 5 });
        var batched = WrLogP.Evaluate(model, collator, examples, batchSize: 2);
        var (mean, sum, tokens) = captions.Score(examples[1], examples[1].Rejected!);
        Assert.That(mean, Is.EqualTo(batched.RejectedAverages[1]).Within(1e-5), "padding and batching do not change a caption's score");
        Assert.That(tokens, Is.EqualTo(collator.CompletionIds(examples[1].Rejected!).Length));
        Assert.That(sum, Is.EqualTo(mean * tokens).Within(1e-9));
    }

    /// <summary>
    /// A tiny model with its own LM head, whose &lt;|im_end|&gt; row is made three times the row of the token greedy
    /// decoding writes third: &lt;|im_end|&gt; then wins within the first three steps. The caption must be exactly the
    /// decoded tokens before it, although the limit would allow many more.
    /// </summary>
    [Test]
    public void Generation_stops_at_im_end_and_returns_the_text_before_it()
    {
        using var temp = new TempDirectory();
        var modelDir = TinyTraining.WriteModelFolder(Path.Combine(temp.Path, "model"));
        var (train, _) = TinyTraining.WriteData(Path.Combine(temp.Path, "data"), 1, 0);
        var example = PreferenceDataset.Load(train).Examples[0];
        var collator = TinyTraining.Collator(modelDir);
        var config = TinyQwen.Config with { Text = TinyQwen.Config.Text with { TieWordEmbeddings = false } };
        var model = Qwen25VLModel.Create(config, new RandomParameterSource(3, std: 0.3));
        var imEnd = collator.Tokenizer.ImEndId;
        var limit = new GenerationOptions { MaxNewTokens = 12 };

        var unstopped = RawGreedy(model, collator, example, limit);
        Assert.That(unstopped, Has.Length.EqualTo(12).And.No.Member((long)imEnd), "without the edit the model never ends the turn");
        using (GradMode.NoGrad())
            model.LmHead.Narrow(0, imEnd, 1).CopyFrom(model.LmHead.Narrow(0, (int)unstopped[2], 1) * 3.0);
        var raw = RawGreedy(model, collator, example, limit);
        var end = Array.IndexOf(raw, (long)imEnd);
        Assert.That(end, Is.InRange(1, 2), "the edited head ends the turn after a token or two");

        var caption = new QwenCaptionModel(model, collator, limit).Generate(example);
        var expected = collator.Tokenizer.Decode(raw.Take(end).Select(id => (int)id), skipSpecial: true).Trim();
        Assert.That(caption, Is.Not.Empty.And.EqualTo(expected));
        Assert.That(caption, Does.Not.Contain("<|im_end|>"));
    }

    /// <summary>Greedy token ids with no stop token at all, straight from the decoding loop.</summary>
    private static long[] RawGreedy(Qwen25VLModel model, Trainers.Batching.PreferenceCollator collator, PreferenceExample example, GenerationOptions options)
    {
        using var tape = TensorScope.Begin();
        using var noGrad = GradMode.NoGrad();
        var (pixels, grids) = collator.Images([example]);
        var prompt = collator.PromptIds(example).Select(id => (long)id).ToArray();
        return Generation.Generate(model, [prompt], model.EncodeImages(pixels, grids), grids, options with { StopTokens = [] })[0];
    }
}
