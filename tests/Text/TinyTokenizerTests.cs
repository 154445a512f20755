using NUnit.Framework;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Tokenizers;

namespace StyleAlign.Tests.Text;

[TestFixture]
[Category("Unit")]
public class TinyTokenizerTests
{
    private string _root = null!;
    private TempDirectory _temp = null!;

    [OneTimeSetUp]
    public void CreateRoot()
    {
        _temp = new TempDirectory();
        _root = _temp.Path;
    }

    [OneTimeTearDown]
    public void DeleteRoot() => _temp.Dispose();

    internal static QwenTokenizer WriteAndLoadQwen(string folder)
    {
        TinyTokenizers.WriteQwen(folder);
        return QwenTokenizer.Load(folder);
    }

    [TestCase("A red circle on the left.")]
    [TestCase("The blue square tells a silly joke to the red circle.")]
    [TestCase("Unseen words: zebra quokka, 42 émojis 🙂 and\ttabs\n\nnewlines")]
    [TestCase("<|im_start|>user\n<|vision_start|><|image_pad|><|image_pad|><|vision_end|>Describe.<|im_end|>\n")]
    public void QwenRoundTrip(string text)
    {
        var tokenizer = WriteAndLoadQwen(Path.Combine(_root, "qwen-roundtrip"));
        var ids = tokenizer.Encode(text);
        Assert.That(ids, Has.All.InRange(0, TinyTokenizers.QwenSpecialIds.VocabSize - 1));
        Assert.That(tokenizer.Decode(ids), Is.EqualTo(text));
    }

    [Test]
    public void QwenSpecialIdsAndSize()
    {
        var tokenizer = WriteAndLoadQwen(Path.Combine(_root, "qwen-ids"));
        Assert.That(tokenizer.VocabSize, Is.EqualTo(TinyTokenizers.QwenSpecialIds.VocabSize));
        Assert.That(tokenizer.VocabSize, Is.LessThanOrEqualTo(512));
        Assert.That(tokenizer.BaseVocabularySize, Is.EqualTo(TinyTokenizers.QwenSpecialIds.BaseVocabularySize));
        Assert.That(tokenizer.ImagePadId, Is.EqualTo(TinyTokenizers.QwenSpecialIds.ImagePad));
        Assert.That(tokenizer.VideoPadId, Is.EqualTo(TinyTokenizers.QwenSpecialIds.VideoPad));
        Assert.That(tokenizer.VisionStartId, Is.EqualTo(TinyTokenizers.QwenSpecialIds.VisionStart));
        Assert.That(tokenizer.VisionEndId, Is.EqualTo(TinyTokenizers.QwenSpecialIds.VisionEnd));
        Assert.That(tokenizer.TokenToId(QwenTokenizer.VisionPad), Is.EqualTo(TinyTokenizers.QwenSpecialIds.VisionPad));
        Assert.That(tokenizer.EndOfTextId, Is.EqualTo(TinyTokenizers.QwenSpecialIds.EndOfText));
        Assert.That(tokenizer.ImEndId, Is.EqualTo(TinyTokenizers.QwenSpecialIds.ImEnd));
        Assert.That(tokenizer.ImStartId, Is.EqualTo(TinyTokenizers.QwenSpecialIds.ImStart));
    }

    [Test]
    public void QwenMergesCompressCorpusWords()
    {
        var tokenizer = WriteAndLoadQwen(Path.Combine(_root, "qwen-merges"));
        // Frequent corpus words are whole tokens (with their leading space, byte-level 'Ġ').
        foreach (string word in new[] { "Ġcircle", "Ġsquare", "Ġred", "Ġblue", "Ġthe", "Ġheart" })
            Assert.That(tokenizer.TryTokenToId(word, out _), Is.True, word);
        Assert.That(tokenizer.Encode(" circle"), Has.Count.EqualTo(1));
        Assert.That(tokenizer.Encode("A red circle on the left."), Has.Count.LessThan(10));
        Assert.That(tokenizer.Decode(tokenizer.Encode("<|im_end|>ok"), skipSpecial: true), Is.EqualTo("ok"));
    }

    [Test]
    public void QwenFilesAreDeterministicAndVocabMergesPathAgrees()
    {
        string a = Path.Combine(_root, "qwen-a"), b = Path.Combine(_root, "qwen-b");
        TinyTokenizers.WriteQwen(a);
        TinyTokenizers.WriteQwen(b);
        foreach (string file in new[] { "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt" })
            Assert.That(File.ReadAllBytes(Path.Combine(a, file)), Is.EqualTo(File.ReadAllBytes(Path.Combine(b, file))), file);

        var fromJson = QwenTokenizer.Load(a);
        File.Delete(Path.Combine(b, "tokenizer.json"));
        var fromVocabMerges = QwenTokenizer.Load(b);
        const string text = "<|im_start|>assistant\nTwo hearts in love under the stars.<|im_end|>\n";
        Assert.That(fromVocabMerges.Encode(text), Is.EqualTo(fromJson.Encode(text)));
        Assert.That(fromVocabMerges.VocabSize, Is.EqualTo(fromJson.VocabSize));
    }

    [Test]
    public void ClipTinyVocabularyLoads()
    {
        string folder = Path.Combine(_root, "clip-load");
        TinyTokenizers.WriteClip(folder);
        var tokenizer = ClipTokenizer.Load(folder);
        Assert.That(tokenizer.VocabSize, Is.EqualTo(TinyTokenizers.ClipSpecialIds.VocabSize));
        Assert.That(tokenizer.BosId, Is.EqualTo(TinyTokenizers.ClipSpecialIds.StartOfText));
        Assert.That(tokenizer.EosId, Is.EqualTo(TinyTokenizers.ClipSpecialIds.EndOfText));
        File.Delete(Path.Combine(folder, "tokenizer.json"));
        var fromVocabMerges = ClipTokenizer.Load(folder);
        Assert.That(fromVocabMerges.Encode("A funny red circle").Ids, Is.EqualTo(tokenizer.Encode("A funny red circle").Ids));
    }

    [Test]
    public void MissingFilesAreNamed()
    {
        string empty = Path.Combine(_root, "empty");
        Directory.CreateDirectory(empty);
        var e = Assert.Throws<InputFileException>(() => QwenTokenizer.Load(empty));
        Assert.That(e!.Message, Does.Contain(empty).And.Contain("tokenizer.json"));
        Assert.Throws<InputFileException>(() => ClipTokenizer.Load(empty));
    }
}
