using System.Text.Json.Nodes;
using NUnit.Framework;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Vision;

using StyleAlign.Tests.TestSupport;

namespace StyleAlign.Tests.IO;

/// <summary>Every config value is checked or honoured: values that would size, break or silently change the model are refused
/// with the key named, and every valid form keeps loading.</summary>
[TestFixture]
[Category("Unit")]
public sealed class ConfigValidationTests
{
    private static readonly string QwenFixture = Compare.FixturePath("qwen25vl_tiny", "config.json");
    private static readonly string ClipFixture = Compare.FixturePath("clip_tiny", "config.json");

    private static string Edited(string fixture, params (string Path, string Json)[] edits)
    {
        var root = JsonNode.Parse(File.ReadAllText(fixture))!.AsObject();
        foreach (var (path, json) in edits)
        {
            var parts = path.Split('.');
            var parent = parts.Length == 1 ? root : root[parts[0]]!.AsObject();
            parent[parts[^1]] = json == "<removed>" ? null : JsonNode.Parse(json);
            if (json == "<removed>") parent.Remove(parts[^1]);
        }
        return root.ToJsonString();
    }

    private static string QwenRefuses(params (string Path, string Json)[] edits) =>
        Assert.Throws<HfConfigException>(() => Qwen25VLConfig.Parse(Edited(QwenFixture, edits), "/m/config.json"))!.Message;

    [TestCase("intermediate_size", "2147483647", "'intermediate_size' must be an integer in [1, 1048576], found 2147483647")]
    [TestCase("num_hidden_layers", "-1", "'num_hidden_layers' must be an integer in [1, 1024], found -1")]
    [TestCase("num_hidden_layers", "20000", "'num_hidden_layers' must be an integer in [1, 1024], found 20000")]
    [TestCase("max_position_embeddings", "0", "'max_position_embeddings' must be an integer in [1, 16777216], found 0")]
    [TestCase("rope_theta", "0", "'rope_theta' must be a positive finite number, found 0")]
    [TestCase("rope_theta", "-10000", "'rope_theta' must be a positive finite number, found -10000")]
    [TestCase("rms_norm_eps", "-1e-06", "'rms_norm_eps' must be a positive finite number, found -1e-06")]
    [TestCase("model_type", "\"\"", "'model_type' must be one of \"qwen2_5_vl\", found \"\"")]
    [TestCase("bos_token_id", "-1", "'bos_token_id' must be an integer in [0, 511], found -1")]
    [TestCase("eos_token_id", "512", "'eos_token_id' must be an integer in [0, 511], found 512")]
    [TestCase("image_token_id", "100000", "'image_token_id' must be an integer in [0, 511], found 100000")]
    [TestCase("hidden_act", "\"mish\"", "'hidden_act' must be an activation this engine computes")]
    [TestCase("use_sliding_window", "true", "'use_sliding_window' must be false (sliding-window attention is not implemented)")]
    [TestCase("attention_dropout", "0.1", "'attention_dropout' must be 0 (attention dropout is not implemented)")]
    [TestCase("vision_config.hidden_size", "1048576", "'vision_config.hidden_size' must be an integer in [1, 65536], found 1048576")]
    [TestCase("vision_config.depth", "1048576", "'vision_config.depth' must be an integer in [1, 1024], found 1048576")]
    [TestCase("vision_config.window_size", "0", "'vision_config.window_size' must be an integer in [1, 65536], found 0")]
    [TestCase("vision_config.window_size", "1", "'vision_config.window_size' = 1 must be a multiple of patch_size × spatial_merge_size = 28")]
    [TestCase("vision_config.window_size", "3", "'vision_config.window_size' = 3 must be a multiple of patch_size × spatial_merge_size = 28")]
    [TestCase("vision_config.in_channels", "4", "'vision_config.in_channels' must be an integer in [3, 3], found 4")]
    [TestCase("vision_config.num_heads", "16", "must be a multiple of 4 × 'vision_config.num_heads' = 64")]
    public void HostileQwenValuesAreRefusedWithTheKey(string path, string json, string expected)
    {
        string actualPath = path == "vision_config.in_channels" ? "vision_config.in_chans" : path;
        string message = QwenRefuses((actualPath, json));
        Assert.That(message.Replace("in_chans", "in_channels"), Does.Contain("/m/config.json: invalid qwen2_5_vl config").And.Contain(expected));
    }

    [Test]
    public void ALoneSurrogateInAConfigStringIsRefusedNotThrown()
    {
        string json = File.ReadAllText(QwenFixture).Replace("\"model_type\": \"qwen2_5_vl\"", "\"model_type\": \"qwen\\ud800\"");
        Assert.That(json, Does.Contain("qwen\\ud800"));
        Assert.That(() => Qwen25VLConfig.Parse(json, "s.json"),
            Throws.TypeOf<HfConfigException>().With.Message.Contains("'model_type' must be one of \"qwen2_5_vl\", found \"qwen\\ud800\""));
    }

    [Test]
    public void EveryProblemIsListedInOneError()
    {
        string message = QwenRefuses(("num_hidden_layers", "0"), ("rope_theta", "-1"), ("vision_config.window_size", "3"), ("hidden_act", "\"gelu_10\""));
        Assert.That(message, Does.Contain("(4 problems)").And.Contain("num_hidden_layers").And.Contain("rope_theta").And.Contain("window_size").And.Contain("hidden_act"));
        Assert.That(message.Split(Environment.NewLine), Has.Length.EqualTo(5), "one line naming the file, then one per problem");
    }

    [Test]
    public void EveryCopyOfAKeyIsCheckedNotOnlyTheOneUsed()
    {
        // The 4.57 form repeats text keys at the top level; a bad copy there is refused even though text_config wins.
        string json = Edited(Compare.FixturePath("xcheck", "qwen25vl_tiny.config.v4.57.6.json"), ("num_hidden_layers", "-2"));
        Assert.That(() => Qwen25VLConfig.Parse(json, "nested.json"),
            Throws.TypeOf<HfConfigException>().With.Message.Contains("'num_hidden_layers' must be an integer in [1, 1024], found -2"));
    }

    [TestCase("\"yarn\"")]
    [TestCase("\"linear\"")]
    public void RopeScalingTheEngineDoesNotComputeIsRefusedInEveryForm(string ropeType)
    {
        Assert.That(QwenRefuses(("rope_scaling", $"{{\"type\": {ropeType}, \"mrope_section\": [2, 3, 3]}}")), Does.Contain("'rope_scaling.type' must be one of"));
        string v5 = File.ReadAllText(Compare.FixturePath("xcheck", "qwen25vl_tiny.config.v5.2.0.json")).Replace("\"type\": \"default\"", $"\"type\": {ropeType}");
        Assert.That(() => Qwen25VLConfig.Parse(v5, "v5.json"),
            Throws.TypeOf<HfConfigException>().With.Message.Contains("'text_config.rope_parameters.type' must be one of"));
    }

    [Test]
    public void EveryValidFormKeepsLoadingWithTheOptionalKeysHuggingFaceAllows()
    {
        var released = Qwen25VLConfig.Load(Path.Combine(SpecialFiles.RepositoryRoot(), "docs", "configs", "qwen2.5-vl-3b-instruct.config.json"));
        Assert.That((released.Text.NumHiddenLayers, released.Vision.Depth, released.Text.VocabSize), Is.EqualTo((36, 32, 151936)));

        var withoutOptional = Qwen25VLConfig.Parse(Edited(QwenFixture, ("pad_token_id", "<removed>"), ("sliding_window", "<removed>"),
            ("attention_dropout", "<removed>"), ("use_sliding_window", "<removed>"), ("architectures", "<removed>"), ("rope_scaling", "{\"mrope_section\": [2, 3, 3]}")), "opt.json");
        Assert.That(withoutOptional, Is.EqualTo(Qwen25VLConfig.Load(QwenFixture)));
        var withExtra = Qwen25VLConfig.Parse(Edited(QwenFixture, ("pad_token_id", "null"), ("custom", "{\"a\": [1]}"), ("hidden_act", "\"gelu_pytorch_tanh\"")), "x.json");
        Assert.That(withExtra.Text.HiddenAct, Is.EqualTo("gelu_pytorch_tanh"));
    }

    [TestCase("text_config.num_attention_heads", "3", "'text_config.hidden_size' = 32 must be a multiple of 'text_config.num_attention_heads' = 3")]
    [TestCase("text_config.eos_token_id", "100", "'text_config.eos_token_id' must be an integer in [0, 99], found 100")]
    [TestCase("text_config.layer_norm_eps", "0", "'text_config.layer_norm_eps' must be a positive finite number, found 0")]
    [TestCase("vision_config.num_channels", "4", "'vision_config.num_channels' must be an integer in [3, 3], found 4")]
    [TestCase("vision_config.patch_size", "5", "'vision_config.image_size' = 32 must be a multiple of 'vision_config.patch_size' = 5")]
    [TestCase("vision_config.hidden_act", "\"relu6\"", "'vision_config.hidden_act' must be an activation this engine computes")]
    [TestCase("model_type", "\"clip_text_model\"", "'model_type' must be one of \"clip\"")]
    public void HostileClipValuesAreRefusedWithTheKey(string path, string json, string expected)
    {
        var error = Assert.Throws<HfConfigException>(() => ClipConfig.Parse(Edited(ClipFixture, (path, json)), "/c/config.json"))!;
        Assert.That(error.Message, Does.Contain("/c/config.json: invalid clip config").And.Contain(expected));
    }

    [Test]
    public void AClipPatchGridBeyondAnyPositionTableIsRefused()
    {
        var error = Assert.Throws<HfConfigException>(() => ClipConfig.Parse(Edited(ClipFixture, ("vision_config.image_size", "65536"), ("vision_config.patch_size", "1")), "c.json"))!;
        Assert.That(error.Message, Does.Contain("gives 4,294,967,296 patches"));
    }

    [TestCase("")]
    [TestCase("not json")]
    [TestCase("[]")]
    public void AnEmptyOrNonJsonProcessorConfigNamesTheFile(string content)
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("preprocessor_config.json"), content);
        Assert.That(() => QwenImageProcessor.Load(folder.Path), Throws.TypeOf<HfConfigException>().With.Message.Contains(folder.File("preprocessor_config.json")));
        Assert.That(() => ClipImageProcessor.Load(folder.Path), Throws.TypeOf<HfConfigException>().With.Message.Contains(folder.File("preprocessor_config.json")));
    }

    [Test]
    public void ProcessorValuesAreCheckedTogether()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("preprocessor_config.json"),
            """{"min_pixels": 20000, "max_pixels": 10000, "image_std": [0, 1, 1], "resample": 2, "patch_size": "14"}""");
        var message = Assert.Throws<HfConfigException>(() => QwenImageProcessor.Load(folder.Path))!.Message;
        Assert.That(message, Does.Contain("(4 problems)")
            .And.Contain("'min_pixels' = 20000 must not exceed 'max_pixels' = 10000")
            .And.Contain("'image_std' = [0, 1, 1] must hold positive numbers")
            .And.Contain("'resample' must be 3 (bicubic, the only filter implemented), found 2")
            .And.Contain("'patch_size' must be an integer in [1, 256], found \"14\""));
    }

    [Test]
    public void AClipProcessorStepTheEngineDoesNotSkipIsRefused()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("preprocessor_config.json"), """{"do_center_crop": false, "size": {"height": 224, "width": 224}}""");
        var message = Assert.Throws<HfConfigException>(() => ClipImageProcessor.Load(folder.Path))!.Message;
        Assert.That(message, Does.Contain("'do_center_crop' must be true").And.Contain("a fixed height/width resize is not implemented"));
    }
}
