using NUnit.Framework;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Tests.Training;

[Category("Unit")]
public class CollatorTests
{
    [Test]
    public void Rows_stack_chosen_over_rejected_and_targets_are_caption_tokens_plus_im_end()
    {
        using var temp = new TempDirectory();
        var model = TinyTraining.WriteModelFolder(Path.Combine(temp.Path, "model"));
        var (trainPath, _) = TinyTraining.WriteData(Path.Combine(temp.Path, "data"), 2, 0);
        var examples = PreferenceDataset.Load(trainPath).Examples;
        var collator = TinyTraining.Collator(model);
        var tokenizer = collator.Tokenizer;
        var batch = collator.Collate(examples, includeRejected: true);

        Assert.That(batch.Rows, Is.EqualTo(4));
        Assert.That(batch.PairGrids, Has.Count.EqualTo(2), "one image per pair");
        var captions = new[] { examples[0].Chosen, examples[1].Chosen, examples[0].Rejected!, examples[1].Rejected! };
        for (var r = 0; r < 4; r++)
        {
            var prompt = ChatTemplate.EncodePrompt(tokenizer, examples[r % 2].Prompt, collator.Pixels(examples[r % 2].ImagePath).Grids).InputIds;
            var caption = tokenizer.Encode(captions[r]).Take(collator.Options.MaxCaptionTokens).ToList();
            var targets = Enumerable.Range(0, batch.Length).Where(p => batch.TargetMask[r, p]).ToList();
            Assert.That(targets[0], Is.EqualTo(prompt.Count), $"row {r}: the first target follows <|im_start|>assistant\\n");
            Assert.That(targets.Select(p => (int)batch.InputIds[r, p]), Is.EqualTo(caption.Append(tokenizer.ImEndId)), $"row {r}: targets are the caption tokens then <|im_end|>");
            Assert.That(targets, Is.EqualTo(Enumerable.Range(prompt.Count, caption.Count + 1)), $"row {r}: targets are contiguous");
            var newline = targets[^1] + 1;
            Assert.That(batch.InputIds[r, newline], Is.EqualTo(tokenizer.Encode("\n")[0]), "the template's newline follows <|im_end|>");
            Assert.That(batch.TargetMask[r, newline], Is.False, "the newline is not a target");
            Assert.That(batch.AttentionMask[r, newline], Is.EqualTo(1));
            for (var p = 0; p < prompt.Count; p++) Assert.That(batch.InputIds[r, p], Is.EqualTo(prompt[p]));
            for (var p = newline + 1; p < batch.Length; p++) Assert.That(batch.AttentionMask[r, p], Is.EqualTo(0), "right padding");
        }
        Assert.That(batch.TargetCounts()[0], Is.EqualTo(Math.Min(tokenizer.Encode(captions[0]).Count, collator.Options.MaxCaptionTokens) + 1));
    }
}
