using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.IO.Tokenizers;

namespace StyleAlign.Engine.Models.Qwen25VL;

/// <summary>
/// Gives a checkpoint folder the tokenizer its config's special-token ids belong to: one the caller names, or else the
/// built-in Qwen2 vocabulary or the built-in tiny tokenizer, whichever the ids match.
/// </summary>
public static class CheckpointTokenizer
{
    /// <summary>The files of a Hugging Face Qwen2 tokenizer folder that are copied when present.</summary>
    private static readonly string[] TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt", "special_tokens_map.json", "added_tokens.json", "chat_template.json"];

    private static readonly (string Name, Action<string> Write)[] BuiltIn =
    [
        ("the built-in tiny tokenizer", TinyTokenizers.WriteQwen),
        ("the built-in Qwen2 vocabulary", Qwen2Vocabulary.Write),
    ];

    /// <summary>
    /// Writes into <paramref name="folder"/> the tokenizer of <paramref name="fromFolder"/> (checked against the config),
    /// or, when that is null, the built-in one the config matches; returns it and what it is. Neither matching is one
    /// <see cref="HfConfigException"/> naming the first disagreement with each.
    /// </summary>
    public static (QwenTokenizer Tokenizer, string Description) Write(string folder, Qwen25VLConfig config, string configPath, string? fromFolder)
    {
        if (fromFolder is not null)
        {
            var chosen = QwenTokenizer.Load(fromFolder);
            config.CheckTokenizer(chosen, configPath);
            foreach (var name in TokenizerFiles)
                if (File.Exists(Path.Combine(fromFolder, name))) File.Copy(Path.Combine(fromFolder, name), Path.Combine(folder, name), overwrite: true);
            return (QwenTokenizer.Load(folder), $"the tokenizer of '{fromFolder}'");
        }
        var disagreements = new List<string>();
        foreach (var (name, write) in BuiltIn)
        {
            var candidate = Path.Combine(folder, $".tokenizer-candidate-{Guid.NewGuid():N}");
            try
            {
                write(candidate);
                var mismatches = config.TokenizerMismatches(QwenTokenizer.Load(candidate));
                if (mismatches.Count > 0)
                {
                    disagreements.Add($"{name}: {mismatches[0]}");
                    continue;
                }
                foreach (var file in Directory.GetFiles(candidate)) File.Move(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
                return (QwenTokenizer.Load(folder), name);
            }
            finally
            {
                if (Directory.Exists(candidate)) Directory.Delete(candidate, recursive: true);
            }
        }
        throw new HfConfigException($"{Path.GetFullPath(configPath)}: the special-token ids match no built-in tokenizer ({string.Join("; ", disagreements)}); pass --tokenizer DIR holding the tokenizer they belong to");
    }
}
