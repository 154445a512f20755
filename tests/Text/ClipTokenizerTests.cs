using NUnit.Framework;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Engine.IO.Tokenizers;

namespace StyleAlign.Tests.Text;

[TestFixture]
[Category("Unit")]
public class ClipTokenizerTests
{
    private string _folder = null!;
    private TempDirectory _temp = null!;
    private ClipTokenizer _tokenizer = null!;

    [OneTimeSetUp]
    public void WriteTinyVocabulary()
    {
        _temp = new TempDirectory();
        _folder = _temp.Path;
        TinyTokenizers.WriteClip(_folder);
        _tokenizer = ClipTokenizer.Load(_folder);
    }

    [OneTimeTearDown]
    public void Delete() => _temp.Dispose();

    [Test]
    public void LowercasesAndCollapsesWhitespace()
    {
        Assert.That(_tokenizer.EncodeWords("  A   RED\t\nCircle "), Is.EqualTo(_tokenizer.EncodeWords("a red circle")));
        Assert.That(ClipTokenizer.Normalize("  Hello \n\t WORLD  "), Is.EqualTo("hello world"));
        Assert.That(ClipTokenizer.Normalize("İ"), Is.EqualTo("i\u0307")); // Python's str.lower()
    }

    [Test]
    public void WordFinalSymbolsCarryEndOfWordSuffix()
    {
        var ids = _tokenizer.EncodeWords("circle circle");
        Assert.That(ids, Has.Count.EqualTo(2));
        Assert.That(ids[0], Is.EqualTo(_tokenizer.TokenToId("circle</w>")));
        // A letter alone is a whole word, so it is the suffixed symbol, not the bare byte symbol.
        Assert.That(_tokenizer.EncodeWords("q"), Is.EqualTo(new[] { _tokenizer.TokenToId("q</w>") }));
        Assert.That(_tokenizer.EncodeWords("q"), Is.Not.EqualTo(new[] { _tokenizer.TokenToId("q") }));
    }

    [Test]
    public void SplitsPunctuationAndDigits()
    {
        Assert.That(_tokenizer.Decode(_tokenizer.EncodeWords("it's 42, funny!")), Is.EqualTo("it 's 4 2 , funny !"));
    }

    [Test]
    public void PadsWithEosToMaxLength()
    {
        var e = _tokenizer.Encode("A red circle");
        Assert.That(e.Ids, Has.Length.EqualTo(77));
        Assert.That(e.Ids[0], Is.EqualTo(_tokenizer.BosId));
        var words = _tokenizer.EncodeWords("a red circle");
        Assert.That(e.Ids.Skip(1).Take(words.Count), Is.EqualTo(words));
        Assert.That(e.Ids.Skip(1 + words.Count), Has.All.EqualTo(_tokenizer.EosId));
        Assert.That(e.AttentionMask.Take(words.Count + 2), Has.All.EqualTo(1));
        Assert.That(e.AttentionMask.Skip(words.Count + 2), Has.All.EqualTo(0));
        Assert.That(e.EosPosition, Is.EqualTo(words.Count + 1));
        Assert.That(_tokenizer.Encode("A red circle", padToMaxLength: false).Ids, Has.Length.EqualTo(words.Count + 2));
    }

    [Test]
    public void TruncatesContentAndKeepsEos()
    {
        string longText = string.Join(' ', Enumerable.Repeat("zebra", 100));
        var e = _tokenizer.Encode(longText);
        Assert.That(e.Ids, Has.Length.EqualTo(77));
        Assert.That(e.Ids[76], Is.EqualTo(_tokenizer.EosId));
        Assert.That(e.AttentionMask, Has.All.EqualTo(1));
        Assert.That(e.Ids.Skip(1).Take(75), Is.EqualTo(_tokenizer.EncodeWords(longText).Take(75)));
    }

    [Test]
    public void SpecialTokensInTextAreRecognised()
    {
        var ids = _tokenizer.EncodeWords("<|startoftext|>red<|endoftext|>");
        Assert.That(ids, Is.EqualTo(new[] { _tokenizer.BosId, _tokenizer.TokenToId("red</w>"), _tokenizer.EosId }));
    }
}
