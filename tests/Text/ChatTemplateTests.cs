using NUnit.Framework;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Tests.Text;

[TestFixture]
[Category("Unit")]
public class ChatTemplateTests
{
    private string _folder = null!;
    private TempDirectory _temp = null!;
    private QwenTokenizer _tokenizer = null!;
    private static readonly ImageGrid Grid = new(1, 6, 8); // 48 patches → 12 LLM tokens

    [OneTimeSetUp]
    public void Load()
    {
        _temp = new TempDirectory();
        _folder = _temp.Path;
        _tokenizer = TinyTokenizerTests.WriteAndLoadQwen(_folder);
    }

    [OneTimeTearDown]
    public void Delete() => _temp.Dispose();

    [Test]
    public void ConversationStringMatchesQwenTemplate()
    {
        string rendered = ChatTemplate.RenderConversation("Describe the image.", 1, "A red circle.");
        Assert.That(rendered, Is.EqualTo(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" +
            "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Describe the image.<|im_end|>\n" +
            "<|im_start|>assistant\nA red circle.<|im_end|>\n"));
        string expanded = ChatTemplate.ExpandImagePads(rendered, [Grid]);
        Assert.That(expanded, Does.Contain("<|vision_start|>" + string.Concat(Enumerable.Repeat("<|image_pad|>", 12)) + "<|vision_end|>"));
    }

    [Test]
    public void PromptEndsWithGenerationPrompt()
    {
        string prompt = ChatTemplate.RenderPrompt("Describe the image.", 1);
        Assert.That(prompt, Does.EndWith("<|im_end|>\n<|im_start|>assistant\n"));
        var encoded = ChatTemplate.EncodePrompt(_tokenizer, "Describe the image.", [Grid]);
        Assert.That(encoded.InputIds, Is.EqualTo(_tokenizer.Encode(ChatTemplate.ExpandImagePads(prompt, [Grid]))));
        Assert.That(encoded.TargetCount, Is.Zero);
        Assert.That(encoded.InputIds.Count(id => id == _tokenizer.ImagePadId), Is.EqualTo(12));
        Assert.That(encoded.InputIds.TakeLast(3), Is.EqualTo(
            new[] { _tokenizer.ImStartId }.Concat(_tokenizer.Encode("assistant\n"))));
    }

    [Test]
    public void ResponseMaskCoversCaptionAndImEndOnly()
    {
        const string caption = "A red circle on the left.";
        var sample = ChatTemplate.EncodeConversation(_tokenizer, "Describe the image.", [Grid], caption);
        var captionIds = _tokenizer.Encode(caption);
        int t = sample.Length;

        Assert.That(sample.InputIds.Take(sample.PromptLength),
            Is.EqualTo(ChatTemplate.EncodePrompt(_tokenizer, "Describe the image.", [Grid]).InputIds));
        Assert.That(sample.InputIds.Skip(sample.PromptLength).Take(captionIds.Count), Is.EqualTo(captionIds));
        Assert.That(sample.InputIds[t - 2], Is.EqualTo(_tokenizer.ImEndId));
        Assert.That(_tokenizer.Decode([sample.InputIds[t - 1]]), Is.EqualTo("\n"));

        Assert.That(sample.TargetMask.Take(sample.PromptLength), Has.All.False);
        Assert.That(sample.TargetMask.Skip(sample.PromptLength).Take(captionIds.Count + 1), Has.All.True);
        Assert.That(sample.TargetMask[t - 1], Is.False, "the newline after <|im_end|> is not a target");
        Assert.That(sample.TargetCount, Is.EqualTo(captionIds.Count + 1));

        var labels = sample.Labels();
        Assert.That(labels[sample.PromptLength], Is.EqualTo(captionIds[0]));
        Assert.That(labels[sample.PromptLength - 1], Is.EqualTo(-100));
        var shifted = sample.ShiftedTargetMask();
        Assert.That(shifted, Has.Length.EqualTo(t - 1));
        Assert.That(shifted[sample.PromptLength - 1], Is.True, "the last prompt row predicts the first caption token");
        Assert.That(shifted[t - 2], Is.False);
    }

    [Test]
    public void ResponseIsTokenizedSeparatelyFromPrompt()
    {
        var sample = ChatTemplate.EncodeConversation(_tokenizer, "Hi", [Grid], "\nline");
        var newline = _tokenizer.Encode("\n");
        Assert.That(sample.InputIds.Skip(sample.PromptLength).Take(newline.Count), Is.EqualTo(newline));
    }

    [Test]
    public void MultipleImagesAndCustomSystemPrompt()
    {
        var grids = new[] { Grid, new ImageGrid(1, 4, 4) };
        var sample = ChatTemplate.EncodePrompt(_tokenizer, "Compare.", grids, systemPrompt: "Be brief.");
        Assert.That(sample.InputIds.Count(id => id == _tokenizer.ImagePadId), Is.EqualTo(12 + 4));
        Assert.That(sample.InputIds.Count(id => id == _tokenizer.VisionStartId), Is.EqualTo(2));
        Assert.That(_tokenizer.Decode(sample.InputIds), Does.StartWith("<|im_start|>system\nBe brief.<|im_end|>"));
        Assert.Throws<ArgumentException>(() => ChatTemplate.ExpandImagePads(ChatTemplate.RenderPrompt("x", 1), grids));
    }
}
