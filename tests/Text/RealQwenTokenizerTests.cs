using System.IO.Compression;
using NUnit.Framework;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Tests.Text;

/// <summary>Checks against ids produced by Hugging Face for the real Qwen2 byte-level BPE vocabulary.</summary>
[TestFixture]
[Category("Golden")]
public class RealQwenTokenizerTests
{
    private QwenTokenizer _tokenizer = null!;
    private string _folder = null!;
    private TempDirectory _temp = null!;

    [OneTimeSetUp]
    public void LoadVocabulary()
    {
        string gz = Path.Combine(TestContext.CurrentContext.TestDirectory, "fixtures", "qwen_tokenizer", "tokenizer.json.gz");
        _temp = new TempDirectory();
        _folder = _temp.Path;
        using (var input = new GZipStream(File.OpenRead(gz), CompressionMode.Decompress))
        using (var output = File.Create(Path.Combine(_folder, "tokenizer.json")))
            input.CopyTo(output);
        _tokenizer = QwenTokenizer.Load(_folder);
    }

    [OneTimeTearDown]
    public void DeleteFolder() => _temp.Dispose();

    [Test]
    public void DefaultSystemPromptIds()
    {
        var ids = _tokenizer.Encode("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n");
        Assert.That(ids, Is.EqualTo(new[] { 151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13, 151645, 198, 151644, 872, 198 }));
    }

    [TestCase("Hello world", new[] { 9707, 1879 })]
    [TestCase(" Hello world", new[] { 21927, 1879 })]
    [TestCase("\n\n", new[] { 271 })]
    public void KnownIds(string text, int[] expected)
    {
        Assert.That(_tokenizer.Encode(text), Is.EqualTo(expected));
    }

    [Test]
    public void VocabularyShapeAndSpecialIds()
    {
        Assert.That(_tokenizer.BaseVocabularySize, Is.EqualTo(151643));
        Assert.That((_tokenizer.EndOfTextId, _tokenizer.ImStartId, _tokenizer.ImEndId), Is.EqualTo((151643, 151644, 151645)));
        Assert.That((_tokenizer.VisionStartId, _tokenizer.VisionEndId, _tokenizer.ImagePadId, _tokenizer.VideoPadId),
            Is.EqualTo((151652, 151653, 151655, 151656)));
        Assert.That(_tokenizer.TokenToId("system"), Is.EqualTo(8948));
        Assert.That(_tokenizer.TokenToId("assistant"), Is.EqualTo(77091));
        Assert.That(_tokenizer.TokenToId("Ċ"), Is.EqualTo(198));
    }

    [Test]
    public void AstralLettersAndDigitsSplitByCodePoint()
    {
        // Reference ids from Hugging Face's tokenizers.js 0.2.0 on this tokenizer.json (code-point regex).
        Assert.That(_tokenizer.Encode("math 𝐀𝐁𝐂 𝟏𝟐𝟑 text"), Is.EqualTo(new[]
        {
            10374, 81250, 238, 222, 147822, 147382, 220, 56252, 253, 237, 56252, 253, 238, 56252, 253, 239, 1467,
        }));
    }

    [Test]
    public void DigitsAreSplitOneByOne()
    {
        var ids = _tokenizer.Encode("2025");
        Assert.That(ids, Has.Count.EqualTo(4));
        Assert.That(_tokenizer.Decode(ids), Is.EqualTo("2025"));
    }

    [TestCase("Café déjà vu — naïve ☕ 東京 🙂 tab\there\r\nend")]
    [TestCase("<tool_call>x</tool_call><|im_end|>")]
    public void RoundTripsUnicodeAndAddedTokens(string text)
    {
        Assert.That(_tokenizer.Decode(_tokenizer.Encode(text)), Is.EqualTo(text));
    }

    [Test]
    public void NfcNormalizesText()
    {
        // "e" + combining acute composes to "é" before BPE, so both spellings give the same ids.
        Assert.That(_tokenizer.Encode("caf\u0065\u0301"), Is.EqualTo(_tokenizer.Encode("caf\u00e9")));
    }

    [Test]
    public void SkipSpecialKeepsNonSpecialAddedTokens()
    {
        var ids = _tokenizer.Encode("<|im_start|>a<tool_call><|im_end|>");
        Assert.That(_tokenizer.Decode(ids, skipSpecial: true), Is.EqualTo("a<tool_call>"));
    }

    [Test]
    public void ChatPromptStartsWithSystemPromptIds()
    {
        var prompt = ChatTemplate.EncodePrompt(_tokenizer, "Describe the image.", [new ImageGrid(1, 2, 2)]);
        int[] systemAndUser = [151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13, 151645, 198, 151644, 872, 198];
        Assert.That(prompt.InputIds.Take(systemAndUser.Length), Is.EqualTo(systemAndUser));
        Assert.That(prompt.InputIds.Skip(systemAndUser.Length).Take(3), Is.EqualTo(new[] { 151652, 151655, 151653 }));
        Assert.That(prompt.InputIds.TakeLast(3), Is.EqualTo(new[] { 151644, 77091, 198 }));
    }
}
