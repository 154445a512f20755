namespace StyleAlign.Tests.Fuzz;

/// <summary>The CLIP keys the fuzzer mutates, with the tiny fixture's consequences of valid changes (text: vocab
/// 100, hidden 32, 2 heads, 2 layers, 16 positions; vision: hidden 32, 2 heads, image 32, patch 4; projection 16).</summary>
internal static class ClipConfigKeys
{
    private static ConfigKey Size(string name, params (string, Expect)[] valid) => new(name, [name], true, ConfigKey.BadCounts, valid);

    private static ConfigKey Id(string name, bool required) =>
        new(name, [name], required, [.. ConfigKey.BadIds, "100", "1000000"], [("0", Expect.Accept), ("99", Expect.Accept), ("2", Expect.Accept)]);

    public static readonly ConfigKey[] All =
    [
        Size("text_config.vocab_size", ("200", Expect.Refuse), ("4194304", Expect.Refuse)),
        Size("text_config.hidden_size", ("64", Expect.Refuse), ("33", Expect.Refuse)),
        Size("text_config.num_hidden_layers", ("3", Expect.Refuse), ("1024", Expect.Refuse)),
        Size("text_config.num_attention_heads", ("1", Expect.Accept), ("4", Expect.Accept), ("32", Expect.Accept), ("3", Expect.Refuse), ("64", Expect.Refuse)),
        Size("text_config.intermediate_size", ("128", Expect.Refuse), ("1048576", Expect.Refuse)),
        Size("text_config.max_position_embeddings", ("32", Expect.Refuse), ("16777216", Expect.Refuse)),
        new("text_config.layer_norm_eps", ["text_config.layer_norm_eps"], true, ConfigKey.BadPositives, [("1e-06", Expect.Accept), ("0.1", Expect.Accept)]),
        new("text_config.hidden_act", ["text_config.hidden_act"], true, ConfigKey.BadActivations, ConfigKey.GoodActivations),
        Id("text_config.eos_token_id", required: true),
        Id("text_config.bos_token_id", required: false),
        Id("text_config.pad_token_id", required: false),
        new("text_config.attention_dropout", ["text_config.attention_dropout"], false, ["0.1", "\"0\""], [("0", Expect.Accept)]),
        Size("vision_config.hidden_size", ("64", Expect.Refuse), ("31", Expect.Refuse)),
        Size("vision_config.num_hidden_layers", ("1", Expect.Refuse), ("1024", Expect.Refuse)),
        Size("vision_config.num_attention_heads", ("1", Expect.Accept), ("8", Expect.Accept), ("5", Expect.Refuse)),
        Size("vision_config.intermediate_size", ("65", Expect.Refuse)),
        Size("vision_config.image_size", ("64", Expect.Refuse), ("30", Expect.Refuse), ("65536", Expect.Refuse)),
        Size("vision_config.patch_size", ("8", Expect.Refuse), ("5", Expect.Refuse), ("32", Expect.Refuse)),
        new("vision_config.num_channels", ["vision_config.num_channels"], true, [.. ConfigKey.BadCounts, "1", "4"], [("3", Expect.Accept)]),
        new("vision_config.layer_norm_eps", ["vision_config.layer_norm_eps"], true, ConfigKey.BadPositives, [("1e-06", Expect.Accept)]),
        new("vision_config.hidden_act", ["vision_config.hidden_act"], true, ConfigKey.BadActivations, ConfigKey.GoodActivations),
        Size("projection_dim", ("32", Expect.Refuse), ("65536", Expect.Refuse)),
        new("logit_scale_init_value", ["logit_scale_init_value"], false, ["\"x\"", "1e400", "true", "[]"], [("1.0", Expect.Accept), ("-3", Expect.Accept), ("0", Expect.Accept)]),
        new("model_type", ["model_type"], true, ["\"\"", "\"clip_text_model\"", "\"qwen2_5_vl\"", "7"], [("\"clip\"", Expect.Accept)]),
    ];
}
