using System.Text.Json;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Tokenizers;

namespace StyleAlign.Engine.Models.Qwen25VL;

/// <summary>The <c>generation_config.json</c> of a Qwen2.5-VL chat checkpoint: generation starts after the config's
/// BOS, stops at end of turn or end of text, and pads with the tokenizer's pad token.</summary>
public static class GenerationConfigFile
{
    public const string FileName = "generation_config.json";

    /// <summary>Writes the file into <paramref name="folder"/> atomically.</summary>
    public static void Write(string folder, int bosTokenId, QwenTokenizer tokenizer) =>
        Write(folder, bosTokenId, [tokenizer.ImEndId, tokenizer.EndOfTextId], tokenizer.PadId);

    /// <summary>Writes the file into <paramref name="folder"/> atomically from explicit ids.</summary>
    public static void Write(string folder, int bosTokenId, int[] eosTokenIds, int padTokenId)
    {
        var values = new Dictionary<string, object>
        {
            ["bos_token_id"] = bosTokenId,
            ["eos_token_id"] = eosTokenIds,
            ["pad_token_id"] = padTokenId,
        };
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(values, new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
