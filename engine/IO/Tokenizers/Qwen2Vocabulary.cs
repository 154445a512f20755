using System.IO.Compression;
using System.Text.Json.Nodes;

namespace StyleAlign.Engine.IO.Tokenizers;

/// <summary>
/// The real Qwen2 byte-level BPE (151 643 entries, added tokens 151 643–151 664 as Qwen2.5-VL numbers them), built
/// into the engine so that a checkpoint with Qwen2.5-VL's special-token ids can be given its tokenizer offline.
/// </summary>
/// <remarks>The stored tokenizer.json comes from Qwen3, which shares this vocabulary and appends four added tokens
/// Qwen2.5-VL does not have; they are dropped when the files are written, so the written tokenizer has Qwen2.5-VL's
/// 151 665 ids.</remarks>
public static class Qwen2Vocabulary
{
    private const string ResourceName = "tokenizers/qwen2-tokenizer.json.gz";

    /// <summary>The added tokens of Qwen3 only.</summary>
    private static readonly HashSet<string> NotInQwen25VL = ["<tool_response>", "</tool_response>", "<think>", "</think>"];

    /// <summary>Writes <c>tokenizer.json</c> and <c>tokenizer_config.json</c> into <paramref name="folder"/>.</summary>
    public static void Write(string folder)
    {
        JsonObject tokenizer;
        using (var stored = typeof(Qwen2Vocabulary).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the engine lacks its built-in resource '{ResourceName}'"))
        using (var json = new GZipStream(stored, CompressionMode.Decompress))
            tokenizer = JsonNode.Parse(json)!.AsObject();

        var added = tokenizer["added_tokens"]!.AsArray();
        foreach (var token in added.Where(t => NotInQwen25VL.Contains((string)t!["content"]!)).ToList()) added.Remove(token);
        var decoder = new Dictionary<string, object?>();
        foreach (var token in added)
        {
            var entry = token!.DeepClone().AsObject();
            entry.Remove("id");
            decoder[((int)token["id"]!).ToString(System.Globalization.CultureInfo.InvariantCulture)] = entry;
        }
        var additional = added.Where(t => (bool)t!["special"]! && (string)t["content"]! != QwenTokenizer.EndOfText).Select(t => (string)t!["content"]!);

        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer.json"), tokenizer.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            TinyTokenizers.ToJson(TinyTokenizers.QwenConfigJson(decoder, additional, modelMaxLength: 131072)));
    }
}
