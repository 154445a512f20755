using System.Text.Json.Nodes;
using NUnit.Framework;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Tokenizers;

using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.IO;

/// <summary>Broken tokenizer files are refused with one error naming the file and every bad key; text that no
/// UTF-8 tokenizer can encode is repaired, not thrown on.</summary>
[TestFixture]
[Category("Unit")]
public sealed class TokenizerValidationTests
{
    private TempDirectory _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempDirectory();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    private string TokenizerJson => _folder.File("tokenizer.json");

    /// <summary>Writes the tiny Qwen tokenizer, lets <paramref name="edit"/> change tokenizer.json, and returns the load error.</summary>
    private string QwenRefuses(Action<JsonObject> edit)
    {
        TinyTokenizers.WriteQwen(_folder.Path);
        var root = JsonNode.Parse(File.ReadAllText(TokenizerJson))!.AsObject();
        edit(root);
        File.WriteAllText(TokenizerJson, root.ToJsonString());
        var error = Assert.Throws<TokenizerFormatException>(() => QwenTokenizer.Load(_folder.Path))!;
        Assert.That(error.Message, Does.StartWith(TokenizerJson + ": "));
        return error.Message;
    }

    private static JsonObject Added(JsonObject root, string content) =>
        root["added_tokens"]!.AsArray().Select(t => t!.AsObject()).First(t => (string?)t["content"] == content);

    [Test]
    public void ASpecialTokenIdOutsideAnyVocabularyIsNamed()
    {
        string message = QwenRefuses(root => Added(root, QwenTokenizer.ImagePad)["id"] = int.MaxValue);
        Assert.That(message, Does.Contain("'added_tokens[0].id' must be a token id in [0, 4194304), found 2147483647"));
    }

    [Test]
    public void TwoTokensSharingAnIdAreNamed()
    {
        Assert.That(QwenRefuses(root => Added(root, QwenTokenizer.VideoPad)["id"] = 500),
            Does.Contain("added tokens '<|image_pad|>' and '<|video_pad|>' share the id 500"));
        Assert.That(QwenRefuses(root => root["model"]!["vocab"]!["a"] = root["model"]!["vocab"]!["b"]!.GetValue<int>()),
            Does.Contain("and 'b' share the id").Or.Contain("'model.vocab.b' and 'a' share the id"));
        Assert.That(QwenRefuses(root => Added(root, QwenTokenizer.ImagePad)["id"] = root["model"]!["vocab"]!["a"]!.GetValue<int>()),
            Does.Contain("added token '<|image_pad|>' takes the id"));
    }

    [Test]
    public void DuplicateMergesAreNamedWithTheirRanks()
    {
        string message = QwenRefuses(root => root["model"]!["merges"]!.AsArray().Add(root["model"]!["merges"]![0]!.DeepClone()));
        Assert.That(message, Does.Match(@"'model\.merges\[\d+\]' "".+"" repeats 'model\.merges\[0\]'"));
    }

    [Test]
    public void WrongJsonKindsAreNamedWithTheirKeys()
    {
        string message = QwenRefuses(root =>
        {
            Added(root, QwenTokenizer.ImEnd)["id"] = "506";
            Added(root, QwenTokenizer.ImStart)["special"] = "yes";
            root["model"]!["vocab"]!["a"] = null;
        });
        Assert.That(message, Does.Contain("(3 problems)")
            .And.Contain("'model.vocab.a' must be a token id in [0, 4194304), found null")
            .And.Contain("'added_tokens[6].id' must be a token id in [0, 4194304), found \"506\"")
            .And.Contain("'added_tokens[7].special' must be true or false, found \"yes\""));
    }

    [Test]
    public void AnAddedTokenWhoseIdDisagreesWithTheVocabularyIsRefused()
    {
        TinyTokenizers.WriteClip(_folder.Path);
        var root = JsonNode.Parse(File.ReadAllText(TokenizerJson))!.AsObject();
        Added(root, ClipTokenizer.StartOfText)["id"] = 600;
        File.WriteAllText(TokenizerJson, root.ToJsonString());
        Assert.That(() => ClipTokenizer.Load(_folder.Path), Throws.TypeOf<TokenizerFormatException>()
            .With.Message.Contains("added token '<|startoftext|>' has the id 600 but the vocabulary gives it 510"));
    }

    [Test]
    public void ATokenizerJsonThatIsNotAFileIsRefusedNotSkipped()
    {
        TinyTokenizers.WriteQwen(_folder.Path);
        File.Delete(TokenizerJson);
        Directory.CreateDirectory(TokenizerJson);
        Assert.That(() => QwenTokenizer.Load(_folder.Path), Throws.TypeOf<InputFileException>().With.Message.Contains("is a folder"));
    }

    [Test]
    public void MalformedMergesTxtLinesAreNamed()
    {
        TinyTokenizers.WriteQwen(_folder.Path);
        File.Delete(TokenizerJson);
        var lines = File.ReadAllLines(_folder.File("merges.txt")).ToList();
        lines.Insert(3, lines[2]);
        lines.Add("a b c");
        File.WriteAllLines(_folder.File("merges.txt"), lines);
        var error = Assert.Throws<TokenizerFormatException>(() => QwenTokenizer.Load(_folder.Path))!;
        Assert.That(error.Message, Does.Contain(_folder.File("merges.txt")).And.Contain("line 4 repeats the merge").And.Contain($"line {lines.Count} must be two tokens"));
    }

    [Test]
    public void LoneSurrogatesInTextAreEncodedAsReplacementCharacters()
    {
        TinyTokenizers.WriteQwen(_folder.Path);
        var qwen = QwenTokenizer.Load(_folder.Path);
        Assert.That(qwen.Encode("a\ud800b"), Is.EqualTo(qwen.Encode("a\ufffdb")));
        Assert.That(qwen.Encode("\udc00"), Is.EqualTo(qwen.Encode("\ufffd")));
        Assert.That(qwen.Encode("😀"), Is.Not.EqualTo(qwen.Encode("\ufffd")), "paired surrogates are kept");

        string clipFolder = _folder.File("clip");
        TinyTokenizers.WriteClip(clipFolder);
        var clip = ClipTokenizer.Load(clipFolder);
        Assert.That(clip.Encode("x\ud800").Ids, Is.EqualTo(clip.Encode("x\ufffd").Ids));
    }
}
