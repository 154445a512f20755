using System.Text.Json.Nodes;
using NUnit.Framework;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Vision;

using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.IO;

/// <summary>A config is checked against the checkpoint's header, and the model's size against memory, before any
/// weight is read; a config is checked against the tokenizer and image processor loaded with it.</summary>
[TestFixture]
[Category("Unit")]
public sealed class CheckpointLoadingTests
{
    private TempDirectory _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new TempDirectory();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    /// <summary>The tiny Qwen checkpoint beside a config edited at the top level.</summary>
    private string QwenFolder(params (string Key, JsonNode Value)[] edits)
    {
        var config = JsonNode.Parse(File.ReadAllText(Compare.FixturePath("qwen25vl_tiny", "config.json")))!.AsObject();
        foreach (var (key, value) in edits) config[key] = value;
        File.WriteAllText(_folder.File("config.json"), config.ToJsonString());
        File.Copy(Compare.FixturePath("qwen25vl_tiny", "model.safetensors"), _folder.File("model.safetensors"), overwrite: true);
        return _folder.Path;
    }

    [Test]
    public void ALayerCountTheCheckpointDoesNotHaveIsRefusedBeforeAnyWeightIsRead()
    {
        string folder = QwenFolder(("num_hidden_layers", 1000), ("max_window_layers", 1000));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<CheckpointMismatchException>(() => Qwen25VLModel.Load(folder))!;
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(error.Message, Does.Contain(folder).And.Contain("missing (11976): model.layers.2.input_layernorm.weight [64]"));
        // 998 absent layers of placeholders, no tensor of their size (the full model would need 1000 × 12 tensors).
        Assert.That(allocated, Is.LessThan(64L << 20), $"allocated {allocated:N0} bytes");
    }

    [Test]
    public void InspectReportsWithoutReadingWeights()
    {
        string folder = QwenFolder(("num_hidden_layers", 3));
        var match = Qwen25VLModel.Inspect(folder);
        Assert.That(match.IsExact, Is.False);
        Assert.That(match.Missing, Has.Count.EqualTo(12).And.All.StartWith("model.layers.2."));
        Assert.That(match.Unexpected, Is.Empty);
        Assert.That(Qwen25VLModel.Inspect(QwenFolder(("num_hidden_layers", 2))).IsExact, Is.True);
    }

    [Test]
    public void AnIntegerTensorWhereAWeightBelongsIsRefusedNotConverted()
    {
        string folder = QwenFolder();
        string path = _folder.File("model.safetensors");
        using (var source = SafetensorsFile.Open(Compare.FixturePath("qwen25vl_tiny", "model.safetensors")))
        {
            var tensors = source.Entries.Values.Select(e => (e.Name,
                e.Name == "model.norm.weight" ? SafetensorsDType.I32 : e.DType, e.Shape, (ReadOnlyMemory<byte>)source.GetBytes(e.Name).ToArray())).ToList();
            SafetensorsWriter.Write(path + ".new", tensors);
        }
        File.Move(path + ".new", path, overwrite: true);
        Assert.That(() => Qwen25VLModel.Load(folder), Throws.TypeOf<CheckpointMismatchException>()
            .With.Message.Contains("model.norm.weight: stored as I32, the model needs a floating-point tensor"));
    }

    [Test]
    public void AModelThatCannotFitIsRefusedWithTheNumbers()
    {
        var error = Assert.Throws<ModelTooLargeException>(() => MemoryBudget.EnsureFits(1L << 60, "checkpoint 'big'", "2^58 parameters × 4 bytes"))!;
        Assert.That(error.Message, Does.StartWith("checkpoint 'big': needs 1073741824 GiB (2^58 parameters × 4 bytes) but only ").And.EndWith("of memory is available"));
        Assert.DoesNotThrow(() => MemoryBudget.EnsureFits(1024, "small", "256 parameters × 4 bytes"));
    }

    [Test]
    public void TheTokenizerMustNameTheTokensTheConfigUses()
    {
        string tokenizerFolder = _folder.File("tokenizer");
        TinyTokenizers.WriteQwen(tokenizerFolder);
        var tokenizer = QwenTokenizer.Load(tokenizerFolder);
        TinyQwen.Config.CheckTokenizer(tokenizer, "tiny/config.json");

        var moved = TinyQwen.Config with { Text = TinyQwen.Config.Text with { ImageTokenId = 5, VocabSize = 400 } };
        var error = Assert.Throws<HfConfigException>(() => moved.CheckTokenizer(tokenizer, "tiny/config.json"))!;
        Assert.That(error.Message, Does.Contain("tiny/config.json: does not match the tokenizer " + tokenizer.Source)
            .And.Contain("the tokenizer's ids reach 507 but 'vocab_size' is 400")
            .And.Contain("'image_token_id' = 5 but the tokenizer's <|image_pad|> is 500"));
    }

    [Test]
    public void TheClipTokenizerMustEndTextWhereTheTowerPools()
    {
        string tokenizerFolder = _folder.File("clip-tokenizer");
        TinyTokenizers.WriteClip(tokenizerFolder);
        var tokenizer = ClipTokenizer.Load(tokenizerFolder);
        TinyClip.Config.CheckTokenizer(tokenizer, "clip/config.json");
        var legacy = TinyClip.Config with { Text = TinyClip.Config.Text with { EosTokenId = ClipConfig.LegacyEosTokenId } };
        legacy.CheckTokenizer(tokenizer, "clip/config.json");
        var wrong = TinyClip.Config with { Text = TinyClip.Config.Text with { EosTokenId = 7 } };
        Assert.That(() => wrong.CheckTokenizer(tokenizer, "clip/config.json"),
            Throws.TypeOf<HfConfigException>().With.Message.Contains("'text_config.eos_token_id' = 7 but the tokenizer's <|endoftext|> is 511"));
    }

    [Test]
    public void TheImageProcessorMustCutThePatchesTheVisionTowerEmbeds()
    {
        new QwenImageProcessor().CheckModel(TinyQwen.Config.Vision, "tiny");
        var error = Assert.Throws<HfConfigException>(() => new QwenImageProcessor { PatchSize = 16, MergeSize = 1 }.CheckModel(TinyQwen.Config.Vision, "tiny"))!;
        Assert.That(error.Message, Does.Contain("'patch_size' = 16 but the model's vision_config.patch_size is 14")
            .And.Contain("'merge_size' = 1 but the model's vision_config.spatial_merge_size is 2"));
        Assert.That(() => new ClipImageProcessor().CheckModel(TinyClip.Config.Vision, "clip"),
            Throws.TypeOf<HfConfigException>().With.Message.Contains("'crop_size' = 224x224 but the model's vision_config.image_size is 32"));
    }
}
