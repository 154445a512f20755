using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;
using StyleAlign.Cli;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Vision;
using StyleAlign.Tests.TestSupport;
using StyleAlign.Tests.Training;

namespace StyleAlign.Tests.Cli;

/// <summary>init-random writes a folder the training verbs take as it is, and loading refuses a config whose
/// special-token ids are not the tokenizer's.</summary>
[TestFixture, Category("Unit"), NonParallelizable]
public class InitRandomVerbTests
{
    private TempDirectory _temp = null!;

    [SetUp]
    public void SetUp() => _temp = new TempDirectory();

    [TearDown]
    public void TearDown() => _temp.Dispose();

    /// <summary>The reference tiny config: it carries pad_token_id, vision_token_id, initializer_range, torch_dtype,
    /// use_cache and transformers_version, none of which the engine's own config writer emits.</summary>
    private static string TinyConfig => Compare.FixturePath("qwen25vl_tiny", "config.json");

    private string Path(string name) => System.IO.Path.Combine(_temp.Path, name);

    private string WriteConfig(string name, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(TinyConfig))!.AsObject();
        edit(json);
        var path = Path(name);
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    [Test]
    public void TheFolderKeepsTheConfigAsGivenAndTrainsWithSftAndSimpo()
    {
        var model = Path("model");
        var (code, output, error) = CliRunner.Run("init-random", "--config", TinyConfig, "--out", model, "--seed", "5");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain("the built-in tiny tokenizer"));

        Assert.That(File.ReadAllBytes(System.IO.Path.Combine(model, "config.json")), Is.EqualTo(File.ReadAllBytes(TinyConfig)), "config.json is copied byte for byte");
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json", "generation_config.json" })
            Assert.That(File.Exists(System.IO.Path.Combine(model, file)), file);
        Assert.That(Directory.GetFileSystemEntries(_temp.Path).Select(System.IO.Path.GetFileName), Is.EquivalentTo(new[] { "model" }), "no staging folder is left behind");
        var processor = QwenImageProcessor.Load(model);
        var config = Qwen25VLConfig.Load(model);
        processor.CheckModel(config.Vision, model);
        Assert.That((processor.PatchSize, processor.MergeSize, processor.MaxPixels), Is.EqualTo((14, 2, 16384 * 28 * 28)));
        var generation = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(model, "generation_config.json")))!;
        Assert.That((int)generation["pad_token_id"]!, Is.EqualTo(TinyTokenizers.QwenSpecialIds.EndOfText));

        var (train, eval) = TinyTraining.WriteData(Path("data"), 4, 2);
        foreach (var verb in new[] { "sft", "simpo" })
        {
            (code, output, error) = CliRunner.Run(verb, "--weights", model, "--data", train, "--eval-data", eval, "--out", Path($"run-{verb}"),
                "--max-steps", "2", "--batch-size", "2", "--lora-rank", "4", "--max-caption-tokens", "16", "--quiet", "--json");
            Assert.That(code, Is.EqualTo(ExitCodes.Ok), $"{verb}: {error}");
            var summary = JsonDocument.Parse(output.TrimEnd().Split('\n')[^1]).RootElement;
            Assert.That(summary.GetProperty("steps").GetInt32(), Is.EqualTo(2), verb);
            Assert.That(double.IsFinite(summary.GetProperty("final_loss").GetDouble()), verb);
        }
    }

    [Test]
    public void EveryKeyOfAnEditedConfigSurvives()
    {
        var config = WriteConfig("edited.json", json =>
        {
            json["initializer_range"] = 0.037;
            json["torch_dtype"] = "bfloat16";
            json["use_cache"] = false;
            json["a_key_the_engine_never_reads"] = new JsonArray(1, "two", null);
        });
        var model = Path("model");
        var (code, _, error) = CliRunner.Run("init-random", "--config", config, "--out", model, "--dtype", "f32");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        var written = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(model, "config.json")))!;
        Assert.That(JsonNode.DeepEquals(written, JsonNode.Parse(File.ReadAllText(config))), written.ToJsonString());
        Assert.That((int)written["pad_token_id"]!, Is.EqualTo(507));
        Assert.That((int)written["vision_token_id"]!, Is.EqualTo(504));
        Assert.That((bool)written["use_cache"]!, Is.False);
    }

    [Test]
    public void AConfigWhoseImageTokenIsNotTheTokenizersIsRefusedAtLoadWithTheKeyAndBothValues()
    {
        var model = Path("model");
        Assert.That(CliRunner.Run("init-random", "--config", TinyConfig, "--out", model, "--dtype", "f32").Code, Is.EqualTo(ExitCodes.Ok));
        var wrong = WriteConfig("wrong.json", json => json["image_token_id"] = 499);
        File.Copy(wrong, System.IO.Path.Combine(model, "config.json"), overwrite: true);

        var error = Assert.Throws<HfConfigException>(() => Qwen25VLModel.Load(model))!;
        Assert.That(error.Message, Does.Contain("'image_token_id' = 499 but the tokenizer's <|image_pad|> is 500").And.Not.Contain("\n"));

        var (train, _) = TinyTraining.WriteData(Path("data"), 2, 0);
        var (code, _, stderr) = CliRunner.Run("sft", "--weights", model, "--data", train, "--out", Path("run"), "--max-steps", "1", "--quiet");
        Assert.That(code, Is.Not.EqualTo(ExitCodes.Ok));
        var lines = CliRunner.AssertOneErrorLine(stderr);
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.Contain("config.json").And.Contain("'image_token_id' = 499 but the tokenizer's <|image_pad|> is 500"));
    }

    [Test]
    public void APadIdThatIsAnOrdinaryWordIsAMismatch()
    {
        var tokenizer = Path("tokenizer");
        TinyTokenizers.WriteQwen(tokenizer);
        var config = Qwen25VLConfig.Load(WriteConfig("pad.json", json => json["pad_token_id"] = 7));
        Assert.That(config.TokenizerMismatches(QwenTokenizer.Load(tokenizer)),
            Is.EqualTo(new[] { $"'pad_token_id' = 7 is the tokenizer's ordinary token '{QwenTokenizer.Load(tokenizer).IdToToken(7)}', not one of its special tokens" }));
    }

    [Test]
    public void IdsThatMatchNoBuiltInTokenizerAreOneErrorLineNamingBoth()
    {
        var config = WriteConfig("neither.json", json => json["image_token_id"] = 499);
        var (code, _, error) = CliRunner.Run("init-random", "--config", config, "--out", Path("model"));
        Assert.That(code, Is.Not.EqualTo(ExitCodes.Ok));
        var lines = CliRunner.AssertOneErrorLine(error);
        Assert.That(lines, Has.Length.EqualTo(1));
        Assert.That(lines[0], Does.Contain("neither.json").And.Contain("match no built-in tokenizer")
            .And.Contain("tiny tokenizer: 'image_token_id' = 499 but the tokenizer's <|image_pad|> is 500")
            .And.Contain("Qwen2 vocabulary: the tokenizer's ids reach 151664 but 'vocab_size' is 512")
            .And.Contain("--tokenizer"));
        Assert.That(Directory.GetFileSystemEntries(_temp.Path).Select(System.IO.Path.GetFileName), Is.EquivalentTo(new[] { "neither.json" }), "nothing is left half-written");
    }

    [Test]
    public void QwenIdsGetTheRealQwen2VocabularyWithoutTheQwen3OnlyTokens()
    {
        // The tiny shapes with Qwen2.5-VL's vocabulary size and special-token ids.
        var real = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(SpecialFiles.RepositoryRoot(), "docs", "configs", "qwen2.5-vl-3b-instruct.config.json")))!.AsObject();
        var config = WriteConfig("qwen-ids.json", json =>
        {
            foreach (var key in new[] { "vocab_size", "bos_token_id", "eos_token_id", "image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id", "vision_token_id" })
                json[key] = real[key]!.DeepClone();
            json["pad_token_id"] = 151643;
        });
        var model = Path("model");
        var (code, output, error) = CliRunner.Run("init-random", "--config", config, "--out", model);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain("the built-in Qwen2 vocabulary"));
        var tokenizer = QwenTokenizer.Load(model);
        Assert.That((tokenizer.VocabSize, tokenizer.BaseVocabularySize, tokenizer.ImagePadId), Is.EqualTo((151665, 151643, 151655)));
        Assert.That(tokenizer.TryTokenToId("<think>", out _), Is.False);
        Assert.That(tokenizer.Decode(tokenizer.Encode("a cat on a mat")), Is.EqualTo("a cat on a mat"));
        Assert.DoesNotThrow(() => Qwen25VLModel.Inspect(model));
    }

    [Test]
    public void TokenizerChoosesTheFolderAndIsCheckedAgainstTheConfig()
    {
        var chosen = Path("chosen");
        TinyTokenizers.WriteQwen(chosen);
        File.WriteAllText(System.IO.Path.Combine(chosen, "special_tokens_map.json"), "{\"pad_token\": \"<|endoftext|>\"}");
        var model = Path("model");
        var (code, output, error) = CliRunner.Run("init-random", "--config", TinyConfig, "--out", model, "--tokenizer", chosen, "--dtype", "f32");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), error);
        Assert.That(output, Does.Contain("the tokenizer of '" + chosen + "'"));
        foreach (var file in new[] { "tokenizer.json", "special_tokens_map.json" })
            Assert.That(File.ReadAllBytes(System.IO.Path.Combine(model, file)), Is.EqualTo(File.ReadAllBytes(System.IO.Path.Combine(chosen, file))), file);

        var realIds = System.IO.Path.Combine(SpecialFiles.RepositoryRoot(), "docs", "configs", "qwen2.5-vl-3b-instruct.config.json");
        (code, _, error) = CliRunner.Run("init-random", "--config", realIds, "--out", Path("refused"), "--tokenizer", chosen);
        Assert.That(code, Is.Not.EqualTo(ExitCodes.Ok));
        Assert.That(CliRunner.AssertOneErrorLine(error)[0], Does.Contain("'image_token_id' = 151655 but the tokenizer's <|image_pad|> is 500"));
        Assert.That(Directory.Exists(Path("refused")), Is.False);
    }
}
