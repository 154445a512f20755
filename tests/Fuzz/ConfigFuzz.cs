using System.Text;
using System.Text.Json.Nodes;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Models.Qwen25VL;

namespace StyleAlign.Tests.Fuzz;

/// <summary>
/// Mutated config.json files beside the tiny model's weights (the flat, 4.57 nested and v5 forms), read as the
/// verbs read them: the config parsed, then the model loaded from the folder. A bad key must be refused with
/// that key named; a valid change must load when the weights still fit and be refused (before any weight is
/// read) when they do not.
/// </summary>
internal sealed class ConfigFuzz : IFuzzTarget
{
    private readonly FuzzWorkspace _workspace;
    private readonly bool _qwen;
    private readonly string[] _seedConfigs;
    private readonly string _weights;
    private readonly ConfigKey[] _keys;

    public ConfigFuzz(FuzzWorkspace workspace, bool qwen)
    {
        _workspace = workspace;
        _qwen = qwen;
        string fixture = qwen ? "qwen25vl_tiny" : "clip_tiny";
        string prefix = qwen ? "qwen25vl_tiny" : "clip_tiny";
        _seedConfigs =
        [
            File.ReadAllText(FuzzWorkspace.Fixture(fixture, "config.json")),
            File.ReadAllText(FuzzWorkspace.Fixture("xcheck", $"{prefix}.config.v4.57.6.json")),
            File.ReadAllText(FuzzWorkspace.Fixture("xcheck", $"{prefix}.config.v5.2.0.json")),
        ];
        _weights = FuzzWorkspace.Fixture(fixture, "model.safetensors");
        _keys = qwen ? QwenConfigKeys.All : ClipConfigKeys.All;
    }

    public string Kind => _qwen ? "qwen-config" : "clip-config";

    public FuzzCase Generate(Random rng, string folder)
    {
        string configPath = Path.Combine(folder, "config.json");
        File.CreateSymbolicLink(Path.Combine(folder, "model.safetensors"), _weights);
        int form = rng.Next(_seedConfigs.Length);
        string seedText = _seedConfigs[form];
        var config = Mutate.ParseObject(seedText);
        string formName = new[] { "flat", "4.57", "v5" }[form];

        (string Mutation, Expect Expect, string? Key, string? Text) outcome;
        int choice = rng.Next(20);
        if (choice < 12) outcome = MutateKey(rng, config);
        else if (choice < 14) outcome = AddOrRemoveOptional(rng, config);
        else outcome = MutateBytes(rng, seedText, configPath);

        if (outcome.Text is not null) File.WriteAllText(configPath, outcome.Text);
        string[] names = outcome.Key is null ? [folder] : [folder, outcome.Key];
        return new FuzzCase($"{formName}: {outcome.Mutation}", outcome.Expect, () => Load(folder), names);
    }

    private void Load(string folder)
    {
        if (_qwen)
        {
            Qwen25VLConfig.Load(folder);
            Qwen25VLModel.Inspect(folder);
            Qwen25VLModel.Load(folder);
        }
        else
        {
            ClipConfig.Load(folder);
            ClipModel.Load(folder);
        }
    }

    /// <summary>One known key set, in every copy present, to an invalid or a valid value; or removed.</summary>
    private (string, Expect, string?, string?) MutateKey(Random rng, JsonObject config)
    {
        var key = rng.Pick(_keys);
        var present = key.Paths.Where(p => Mutate.Has(config, p)).ToList();
        if (present.Count == 0) present = [key.Paths[0]];
        int action = rng.Next(10);
        if (action < 5 && key.Invalid.Length > 0)
        {
            string value = rng.Pick(key.Invalid);
            foreach (string path in present) Mutate.Set(config, path, Mutate.Raw(value));
            return ($"{key.Name} = {value}", Expect.Refuse, Leaf(key.Name), Mutate.Write(config));
        }
        if (action < 9 && key.Valid.Length > 0)
        {
            var (value, expect) = rng.Pick(key.Valid);
            foreach (string path in present) Mutate.Set(config, path, Mutate.Raw(value));
            return ($"{key.Name} = {value} (valid)", expect, null, Mutate.Write(config));
        }
        foreach (string path in key.Paths) Mutate.Remove(config, path);
        return ($"{key.Name} removed", key.Required ? Expect.Refuse : Expect.Accept, key.Required ? Leaf(key.Name) : null, Mutate.Write(config));
    }

    private static string Leaf(string name) => name.Split('.')[^1];

    /// <summary>Keys transformers writes that the engine does not read may come and go.</summary>
    private static (string, Expect, string?, string?) AddOrRemoveOptional(Random rng, JsonObject config)
    {
        if (rng.Next(2) == 0)
        {
            string path = rng.Pick(new[] { "custom_key", "vision_config.custom_key", "text_config.extra.nested", "transformers_version" });
            Mutate.Set(config, path, Mutate.Raw(rng.Pick(new[] { "1", "\"x\"", "null", "[1, 2]", "{\"a\": true}" })));
            return ($"{path} added", Expect.Accept, null, Mutate.Write(Mutate.Shuffle(config, rng)));
        }
        string[] optional = ["architectures", "initializer_range", "use_cache", "transformers_version", "dtype", "sliding_window",
            "max_window_layers", "text_config.initializer_range", "vision_config.initializer_range", "initializer_factor",
            "vision_config.model_type", "text_config.model_type", "text_config.layer_types", "pad_token_id", "vision_token_id"];
        string removed = rng.Pick(optional);
        Mutate.Remove(config, removed);
        return ($"{removed} removed", Expect.Accept, null, Mutate.Write(config));
    }

    private (string, Expect, string?, string?) MutateBytes(Random rng, string seedText, string configPath)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(seedText);
        switch (rng.Next(8))
        {
            case 0:
                return ("truncated", Expect.Refuse, null, seedText[..rng.Next(0, seedText.LastIndexOf('}'))]);
            case 1:
                File.WriteAllBytes(configPath, Mutate.FlipBytes(bytes, rng, rng.Next(1, 4)));
                return ("random bytes flipped", Expect.Either, null, null);
            case 2:
                File.WriteAllBytes(configPath, Mutate.Scramble(bytes, rng));
                return ("random run of bytes overwritten", Expect.Either, null, null);
            case 3:
                File.WriteAllBytes(configPath, [0xEF, 0xBB, 0xBF, .. bytes]);
                return ("UTF-8 byte-order mark", Expect.Accept, null, null);
            case 4:
                return ("not a JSON object", Expect.Refuse, null, rng.Pick(new[] { "", "[]", "null", "42", "\"config\"", new string('[', 5000), "{\"a\": NaN}" }));
            case 5:
                File.WriteAllBytes(configPath, Mutate.Insert(bytes, rng.Next(1, bytes.Length - 1), [0]));
                return ("NUL byte inserted", Expect.Refuse, null, null);
            case 6:
                File.WriteAllBytes(configPath, Mutate.Insert(bytes, bytes.Length / 2, [0xC3, 0x28]));
                return ("invalid UTF-8", Expect.Refuse, null, null);
            default:
                return (FileKinds.Replace(configPath, rng, _workspace, InputFiles.MaxConfigBytes), Expect.Refuse, null, null);
        }
    }
}
