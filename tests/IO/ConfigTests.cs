using NUnit.Framework;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Engine.IO.Config;

namespace StyleAlign.Tests.IO;

[TestFixture]
[Category("Unit")]
public sealed class ConfigTests
{
    private static readonly string[] QwenConfigFiles =
    [
        Compare.FixturePath("qwen25vl_tiny", "config.json"),
        Compare.FixturePath("xcheck", "qwen25vl_tiny.config.v4.57.6.json"),
        Compare.FixturePath("xcheck", "qwen25vl_tiny.config.v5.2.0.json"),
    ];

    [Test]
    public void TinyQwenConfigHasTheFixtureValues()
    {
        Qwen25VLConfig config = Qwen25VLConfig.Load(Path.GetDirectoryName(QwenConfigFiles[0])!);
        Qwen25VLTextConfig text = config.Text;
        Assert.Multiple(() =>
        {
            Assert.That(text.HiddenSize, Is.EqualTo(64));
            Assert.That(text.NumHiddenLayers, Is.EqualTo(2));
            Assert.That(text.NumAttentionHeads, Is.EqualTo(4));
            Assert.That(text.NumKeyValueHeads, Is.EqualTo(2));
            Assert.That(text.HeadDim, Is.EqualTo(16));
            Assert.That(text.IntermediateSize, Is.EqualTo(128));
            Assert.That(text.VocabSize, Is.EqualTo(512));
            Assert.That(text.RmsNormEps, Is.EqualTo(1e-6));
            Assert.That(text.RopeTheta, Is.EqualTo(1_000_000.0));
            Assert.That(text.MropeSection, Is.EqualTo(new[] { 2, 3, 3 }));
            Assert.That(text.TieWordEmbeddings, Is.True);
            Assert.That(text.MaxPositionEmbeddings, Is.EqualTo(2048));
            Assert.That(text.HiddenAct, Is.EqualTo("silu"));
            Assert.That((text.BosTokenId, text.EosTokenId), Is.EqualTo((505, 506)));
            Assert.That((text.ImageTokenId, text.VideoTokenId), Is.EqualTo((500, 501)));
            Assert.That((text.VisionStartTokenId, text.VisionEndTokenId), Is.EqualTo((502, 503)));

            Qwen25VLVisionConfig vision = config.Vision;
            Assert.That(vision.Depth, Is.EqualTo(4));
            Assert.That(vision.HiddenSize, Is.EqualTo(32));
            Assert.That(vision.NumHeads, Is.EqualTo(2));
            Assert.That(vision.HeadDim, Is.EqualTo(16));
            Assert.That(vision.IntermediateSize, Is.EqualTo(64));
            Assert.That(vision.HiddenAct, Is.EqualTo("silu"));
            Assert.That((vision.PatchSize, vision.TemporalPatchSize, vision.SpatialMergeSize), Is.EqualTo((14, 2, 2)));
            Assert.That(vision.WindowSize, Is.EqualTo(56));
            Assert.That(vision.FullattBlockIndexes, Is.EqualTo(new[] { 1, 3 }));
            Assert.That(vision.OutHiddenSize, Is.EqualTo(64));
            Assert.That(vision.InChans, Is.EqualTo(3));
            Assert.That(vision.TokensPerSecond, Is.EqualTo(2));
        });
    }

    /// <summary>The hub 3B layout: flat text keys, "mrope" rope_scaling, vision "in_chans".</summary>
    private const string Hub3BStyleConfig = """
        {
          "architectures": ["Qwen2_5_VLForConditionalGeneration"], "model_type": "qwen2_5_vl",
          "hidden_size": 2048, "num_hidden_layers": 36, "num_attention_heads": 16, "num_key_value_heads": 2,
          "intermediate_size": 11008, "vocab_size": 151936, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
          "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]}, "tie_word_embeddings": true,
          "max_position_embeddings": 128000, "hidden_act": "silu", "bos_token_id": 151643, "eos_token_id": 151645,
          "image_token_id": 151655, "video_token_id": 151656, "vision_start_token_id": 151652,
          "vision_end_token_id": 151653, "vision_token_id": 151654, "sliding_window": 32768,
          "vision_config": {
            "depth": 32, "hidden_size": 1280, "num_heads": 16, "intermediate_size": 3420, "hidden_act": "silu",
            "patch_size": 14, "spatial_patch_size": 14, "temporal_patch_size": 2, "spatial_merge_size": 2,
            "window_size": 112, "fullatt_block_indexes": [7, 15, 23, 31], "out_hidden_size": 2048, "in_chans": 3,
            "tokens_per_second": 2
          }
        }
        """;

    [Test]
    public void HubStyle3BConfigParsesWithTheDerivedHeadDims()
    {
        Qwen25VLConfig config = Qwen25VLConfig.Parse(Hub3BStyleConfig, "3b/config.json");
        Assert.That(config.Text.HeadDim, Is.EqualTo(128));
        Assert.That(config.Text.MropeSection, Is.EqualTo(new[] { 16, 24, 24 }));
        Assert.That(config.Text.NumAttentionHeads / config.Text.NumKeyValueHeads, Is.EqualTo(8));
        Assert.That(config.Vision.HeadDim, Is.EqualTo(80));
        Assert.That(config.Vision.InChans, Is.EqualTo(3));
        Assert.That(config.Vision.FullattBlockIndexes, Is.EqualTo(new[] { 7, 15, 23, 31 }));
        Assert.That(Qwen25VLConfig.Parse(config.ToJson(), "rewritten"), Is.EqualTo(config));
    }

    [Test]
    public void QwenConfigsFromEveryTransformersVersionParseEqual()
    {
        Qwen25VLConfig[] configs = QwenConfigFiles.Select(Qwen25VLConfig.Load).ToArray();
        Assert.That(configs[1], Is.EqualTo(configs[0]), "4.57.6 nested form");
        Assert.That(configs[2], Is.EqualTo(configs[0]), "5.2.0 rope_parameters form");
    }

    [Test]
    public void QwenEqualityLooksAtArrayContents()
    {
        Qwen25VLConfig config = Qwen25VLConfig.Load(QwenConfigFiles[0]);
        Qwen25VLConfig other = config with { Text = config.Text with { MropeSection = [2, 2, 4] } };
        Assert.That(other, Is.Not.EqualTo(config));
        Qwen25VLConfig copy = config with { Vision = config.Vision with { FullattBlockIndexes = [1, 3] } };
        Assert.That(copy, Is.EqualTo(config));
    }

    [Test]
    public void QwenToJsonParsesBackEqualAndIsTheFlatForm()
    {
        Qwen25VLConfig config = Qwen25VLConfig.Load(QwenConfigFiles[2]);
        string json = config.ToJson();
        Assert.That(Qwen25VLConfig.Parse(json, "written"), Is.EqualTo(config));
        Assert.That(json, Does.Contain("\"rope_scaling\"").And.Not.Contain("text_config"));

        using var folder = new TempDirectory();
        config.Save(folder.Path);
        Assert.That(HfConfig.ReadModelType(folder.Path), Is.EqualTo("qwen2_5_vl"));
        Assert.That(Qwen25VLConfig.Load(folder.Path), Is.EqualTo(config));
    }

    [Test]
    public void MissingQwenKeysAreListedTogetherWithTheFile()
    {
        string json = File.ReadAllText(QwenConfigFiles[0])
            .Replace("\"hidden_size\": 64", "\"hidden_sizes\": 64")
            .Replace("\"rope_theta\"", "\"rope_thetas\"")
            .Replace("\"depth\"", "\"depths\"");
        var error = Assert.Throws<HfConfigException>(() => Qwen25VLConfig.Parse(json, "/models/broken/config.json"));
        Assert.That(error!.Message, Does.Contain("/models/broken/config.json")
            .And.Contain("missing required keys")
            .And.Contain("text_config.hidden_size | hidden_size")
            .And.Contain("rope_theta")
            .And.Contain("vision_config.depth"));
    }

    [Test]
    public void WrongValueKindsAndInconsistentSizesAreReported()
    {
        string json = File.ReadAllText(QwenConfigFiles[0])
            .Replace("\"num_attention_heads\": 4", "\"num_attention_heads\": \"four\"")
            .Replace("\"out_hidden_size\": 64", "\"out_hidden_size\": 48");
        var error = Assert.Throws<HfConfigException>(() => Qwen25VLConfig.Parse(json, "cfg.json"));
        Assert.That(error!.Message, Does.Contain("'num_attention_heads' must be an integer in [1, 4096], found \"four\"")
            .And.Contain("'vision_config.out_hidden_size' = 48 must equal the decoder 'hidden_size' = 64"));

        var notJson = Assert.Throws<HfConfigException>(() => Qwen25VLConfig.Parse("{ \"a\": ", "cfg.json"));
        Assert.That(notJson!.Message, Does.Contain("cfg.json").And.Contain("not valid JSON"));
    }

    [Test]
    public void ClipConfigsFromEveryTransformersVersionParseEqualWithTheFixtureValues()
    {
        ClipConfig[] configs =
        [
            ClipConfig.Load(Compare.FixturePath("clip_tiny")),
            ClipConfig.Load(Compare.FixturePath("xcheck", "clip_tiny.config.v4.57.6.json")),
            ClipConfig.Load(Compare.FixturePath("xcheck", "clip_tiny.config.v5.2.0.json")),
        ];
        Assert.That(configs[1], Is.EqualTo(configs[0]));
        Assert.That(configs[2], Is.EqualTo(configs[0]));

        ClipConfig clip = configs[0];
        Assert.Multiple(() =>
        {
            Assert.That(clip.ProjectionDim, Is.EqualTo(16));
            Assert.That(clip.LogitScaleInitValue, Is.EqualTo(2.6592));
            Assert.That(clip.Text.VocabSize, Is.EqualTo(100));
            Assert.That((clip.Text.HiddenSize, clip.Text.NumHiddenLayers, clip.Text.NumAttentionHeads), Is.EqualTo((32, 2, 2)));
            Assert.That(clip.Text.IntermediateSize, Is.EqualTo(64));
            Assert.That(clip.Text.MaxPositionEmbeddings, Is.EqualTo(16));
            Assert.That(clip.Text.LayerNormEps, Is.EqualTo(1e-5));
            Assert.That(clip.Text.HiddenAct, Is.EqualTo("quick_gelu"));
            Assert.That((clip.Text.BosTokenId, clip.Text.EosTokenId, clip.Text.PadTokenId), Is.EqualTo((98, 99, 0)));
            Assert.That((clip.Vision.HiddenSize, clip.Vision.NumHiddenLayers, clip.Vision.NumAttentionHeads), Is.EqualTo((32, 2, 2)));
            Assert.That((clip.Vision.ImageSize, clip.Vision.PatchSize, clip.Vision.NumChannels), Is.EqualTo((32, 4, 3)));
            Assert.That(clip.Vision.NumPositions, Is.EqualTo(65));
            Assert.That(clip.Vision.HiddenAct, Is.EqualTo("quick_gelu"));
        });
        Assert.That(HfConfig.ReadModelType(Compare.FixturePath("clip_tiny")), Is.EqualTo("clip"));
    }

    [Test]
    public void ClipToJsonParsesBackEqualAndMissingKeysAreListed()
    {
        ClipConfig clip = ClipConfig.Load(Compare.FixturePath("clip_tiny"));
        Assert.That(ClipConfig.Parse(clip.ToJson(), "written"), Is.EqualTo(clip));

        var error = Assert.Throws<HfConfigException>(() => ClipConfig.Parse("""{"projection_dim": 8, "text_config": {}}""", "clip.json"));
        Assert.That(error!.Message, Does.Contain("clip.json")
            .And.Contain("text_config.vocab_size").And.Contain("text_config.eos_token_id")
            .And.Contain("vision_config.image_size").And.Not.Contain("projection_dim"));
    }
}
