namespace StyleAlign.Tests.Fuzz;

/// <summary>The Qwen2.5-VL keys the fuzzer mutates, with the tiny fixture's consequences of valid changes
/// (hidden 64, 4 heads, 2 KV heads, 2 layers, vocab 512; vision hidden 32, 2 heads, depth 4, window 56).</summary>
internal static class QwenConfigKeys
{
    private static string[] Text(string key) => [$"text_config.{key}", key];

    private static string[] Top(string key) => [key, $"text_config.{key}"];

    private static string[] Vision(string key) => [$"vision_config.{key}"];

    private static ConfigKey Size(string name, string[] paths, params (string, Expect)[] valid) =>
        new(name, paths, true, ConfigKey.BadCounts, valid);

    private static ConfigKey Id(string name, string[] paths) =>
        new(name, paths, true, [.. ConfigKey.BadIds, "512", "4194304"], [("0", Expect.Accept), ("511", Expect.Accept), ("100", Expect.Accept)]);

    public static readonly ConfigKey[] All =
    [
        Size("hidden_size", Text("hidden_size"), ("128", Expect.Refuse), ("65", Expect.Refuse), ("65536", Expect.Refuse)),
        Size("num_hidden_layers", Text("num_hidden_layers"), ("3", Expect.Refuse), ("1", Expect.Refuse), ("1024", Expect.Refuse), ("1025", Expect.Refuse)),
        Size("num_attention_heads", Text("num_attention_heads"), ("8", Expect.Refuse), ("3", Expect.Refuse), ("2", Expect.Refuse)),
        Size("num_key_value_heads", Text("num_key_value_heads"), ("1", Expect.Refuse), ("4", Expect.Refuse), ("3", Expect.Refuse)),
        Size("intermediate_size", Text("intermediate_size"), ("256", Expect.Refuse), ("1048576", Expect.Refuse), ("2147483647", Expect.Refuse)),
        Size("vocab_size", Text("vocab_size"), ("1024", Expect.Refuse), ("4194304", Expect.Refuse), ("100", Expect.Refuse)),
        new("rms_norm_eps", Text("rms_norm_eps"), true, ConfigKey.BadPositives, [("1e-05", Expect.Accept), ("1e-12", Expect.Accept), ("0.5", Expect.Accept)]),
        new("rope_theta", ["text_config.rope_theta", "text_config.rope_parameters.rope_theta", "rope_theta", "rope_parameters.rope_theta"], true,
            ConfigKey.BadPositives, [("10000", Expect.Accept), ("500000.0", Expect.Accept), ("1", Expect.Accept)]),
        new("mrope_section", ["text_config.rope_parameters.mrope_section", "text_config.rope_scaling.mrope_section", "rope_scaling.mrope_section", "rope_parameters.mrope_section"],
            true, ["[2, 3]", "[2, 3, 4]", "[-1, 5, 4]", "\"x\"", "[2.5, 3, 2.5]", "[]", "[8, 0, 0, 0]"],
            [("[4, 2, 2]", Expect.Accept), ("[0, 4, 4]", Expect.Accept), ("[8, 0, 0]", Expect.Accept)]),
        new("rope_scaling.type", ["rope_scaling.type", "rope_scaling.rope_type", "text_config.rope_scaling.type", "text_config.rope_scaling.rope_type",
            "text_config.rope_parameters.type", "text_config.rope_parameters.rope_type"], false, ["\"yarn\"", "\"linear\"", "\"dynamic\"", "3"], [("\"default\"", Expect.Accept), ("\"mrope\"", Expect.Accept)]),
        new("tie_word_embeddings", Top("tie_word_embeddings"), true, ["\"true\"", "1", "[]"], [("false", Expect.Refuse), ("true", Expect.Accept)]),
        new("max_position_embeddings", Text("max_position_embeddings"), true, [.. ConfigKey.BadCounts, "16777217"],
            [("4096", Expect.Accept), ("1", Expect.Accept), ("16777216", Expect.Accept)]),
        new("hidden_act", Text("hidden_act"), true, ConfigKey.BadActivations, ConfigKey.GoodActivations),
        Id("bos_token_id", Text("bos_token_id")),
        Id("eos_token_id", Text("eos_token_id")),
        Id("image_token_id", Top("image_token_id")),
        Id("video_token_id", Top("video_token_id")),
        Id("vision_start_token_id", Top("vision_start_token_id")),
        Id("vision_end_token_id", Top("vision_end_token_id")),
        new("pad_token_id", Top("pad_token_id"), false, ConfigKey.BadIds, [("0", Expect.Accept), ("null", Expect.Accept)]),
        new("model_type", ["model_type"], true, ["\"\"", "\"qwen2_vl\"", "\"clip\"", "7", "\"QWEN2_5_VL\""], [("\"qwen2_5_vl\"", Expect.Accept)]),
        new("use_sliding_window", Text("use_sliding_window"), false, ["true", "\"no\"", "1"], [("false", Expect.Accept)]),
        new("attention_dropout", Text("attention_dropout"), false, ["0.1", "\"0\"", "-1"], [("0", Expect.Accept), ("0.0", Expect.Accept)]),
        Size("vision_config.depth", Vision("depth"), ("5", Expect.Refuse), ("2", Expect.Refuse), ("1024", Expect.Refuse)),
        Size("vision_config.hidden_size", Vision("hidden_size"), ("64", Expect.Refuse), ("24", Expect.Refuse), ("1048576", Expect.Refuse)),
        Size("vision_config.num_heads", Vision("num_heads"), ("1", Expect.Accept), ("4", Expect.Accept), ("8", Expect.Accept), ("16", Expect.Refuse), ("3", Expect.Refuse)),
        Size("vision_config.intermediate_size", Vision("intermediate_size"), ("128", Expect.Refuse)),
        new("vision_config.hidden_act", Vision("hidden_act"), true, ConfigKey.BadActivations, ConfigKey.GoodActivations),
        Size("vision_config.patch_size", [.. Vision("patch_size"), .. Vision("spatial_patch_size")], ("7", Expect.Refuse), ("16", Expect.Refuse), ("257", Expect.Refuse)),
        Size("vision_config.temporal_patch_size", Vision("temporal_patch_size"), ("1", Expect.Refuse), ("17", Expect.Refuse)),
        Size("vision_config.spatial_merge_size", Vision("spatial_merge_size"), ("1", Expect.Refuse), ("4", Expect.Refuse)),
        new("vision_config.window_size", Vision("window_size"), true, [.. ConfigKey.BadCounts, "3", "57", "-56"],
            [("112", Expect.Accept), ("28", Expect.Accept), ("560", Expect.Accept)]),
        new("vision_config.fullatt_block_indexes", Vision("fullatt_block_indexes"), true, ["[4]", "[-1]", "\"1\"", "[1.5]", "[1, 99]", "3"],
            [("[]", Expect.Accept), ("[0, 1, 2, 3]", Expect.Accept), ("[2]", Expect.Accept)]),
        Size("vision_config.out_hidden_size", Vision("out_hidden_size"), ("128", Expect.Refuse), ("32", Expect.Refuse)),
        new("vision_config.in_channels", [.. Vision("in_chans"), .. Vision("in_channels")], true, [.. ConfigKey.BadCounts, "1", "4"], [("3", Expect.Accept)]),
        Size("vision_config.tokens_per_second", Vision("tokens_per_second"), ("4", Expect.Accept), ("1", Expect.Accept)),
    ];
}
