using System.Text;
using System.Text.Json.Nodes;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Tokenizers;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Models.Qwen25VL;

namespace StyleAlign.Tests.Fuzz;

/// <summary>
/// Mutated tokenizer folders (the tiny Qwen and CLIP tokenizers, as tokenizer.json or as vocab.json + merges.txt +
/// tokenizer_config.json), loaded, checked against the tiny model's config as the caption and training paths do,
/// then used to encode and decode text that includes a lone surrogate.
/// </summary>
internal sealed class TokenizerFuzz : IFuzzTarget
{
    private static readonly string[] Texts =
        ["a photo of a cat", "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>hi<|im_end|>", "x\ud800y \udc00", "日本語 ünïcödé 😀", ""];

    private readonly FuzzWorkspace _workspace;
    private readonly string _qwenSeed, _clipSeed;

    public TokenizerFuzz(FuzzWorkspace workspace)
    {
        _workspace = workspace;
        _qwenSeed = Path.Combine(workspace.Seeds, "qwen-tokenizer");
        _clipSeed = Path.Combine(workspace.Seeds, "clip-tokenizer");
        TinyTokenizers.WriteQwen(_qwenSeed);
        TinyTokenizers.WriteClip(_clipSeed);
    }

    public string Kind => "tokenizer";

    public FuzzCase Generate(Random rng, string folder)
    {
        bool qwen = rng.Next(2) == 0;
        foreach (string file in Directory.GetFiles(qwen ? _qwenSeed : _clipSeed)) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        bool slowForm = rng.Next(4) == 0;
        if (slowForm) File.Delete(Path.Combine(folder, "tokenizer.json"));
        var (mutation, expect, key) = slowForm ? MutateSlowForm(rng, folder, qwen) : MutateTokenizerJson(rng, folder, qwen);
        string[] names = key is null ? [folder] : [folder, key];
        return new FuzzCase($"{(qwen ? "qwen" : "clip")} {(slowForm ? "vocab+merges" : "tokenizer.json")}: {mutation}", expect,
            () => Use(folder, qwen), names);
    }

    private static void Use(string folder, bool qwen)
    {
        if (qwen)
        {
            var tokenizer = QwenTokenizer.Load(folder);
            TinyQwen.Config.CheckTokenizer(tokenizer, folder);
            foreach (string text in Texts) tokenizer.Decode(tokenizer.Encode(text));
        }
        else
        {
            var tokenizer = ClipTokenizer.Load(folder);
            TinyClip.Config.CheckTokenizer(tokenizer, folder);
            foreach (string text in Texts) tokenizer.Decode(tokenizer.Encode(text).Ids);
        }
    }

    private (string, Expect, string?) MutateTokenizerJson(Random rng, string folder, bool qwen)
    {
        string path = Path.Combine(folder, "tokenizer.json");
        string original = File.ReadAllText(path);
        var root = Mutate.ParseObject(original);
        var model = root["model"]!.AsObject();
        var vocab = model["vocab"]!.AsObject();
        var merges = model["merges"]!.AsArray();
        var added = root["added_tokens"]!.AsArray();
        int addedIndex = rng.Next(added.Count);
        var token = added[addedIndex]!.AsObject();
        string vocabToken = rng.Pick(vocab.Select(p => p.Key).Where(k => k != (string?)token["content"]).ToList());
        (string, Expect, string?) result;
        switch (rng.Next(18))
        {
            case 0:
                token["id"] = Mutate.Raw(rng.Pick(new[] { "-1", "2147483647", "1e10", "\"5\"", "5.5", "null", "4194304" }));
                result = ("added token id invalid", Expect.Refuse, $"added_tokens[{addedIndex}].id");
                break;
            case 1:
                token["id"] = added[(addedIndex + 1) % added.Count]!["id"]!.DeepClone();
                result = ("two added tokens share an id", Expect.Refuse, (string?)token["content"]);
                break;
            case 2:
                token["id"] = vocab[vocabToken]!.DeepClone();
                result = ("added token takes a vocabulary id", Expect.Refuse, (string?)token["content"]);
                break;
            case 3:
                token["id"] = rng.Pick(new[] { 600, 5000, 100_000 });
                result = ("added token moved to a fresh id beyond the model's vocabulary", Expect.Refuse, null);
                break;
            case 4:
                vocab[rng.Pick(vocab.Select(p => p.Key).Where(k => k != vocabToken).ToList())] = vocab[vocabToken]!.DeepClone();
                result = ("two vocabulary tokens share an id", Expect.Refuse, null);
                break;
            case 5:
                vocab[vocabToken] = Mutate.Raw(rng.Pick(new[] { "-3", "\"7\"", "1.5", "null", "4194304", "[]" }));
                result = ("vocabulary id invalid", Expect.Refuse, null);
                break;
            case 6:
                merges.Insert(rng.Next(merges.Count + 1), merges[rng.Next(merges.Count)]!.DeepClone());
                result = ("duplicate merge", Expect.Refuse, "merges");
                break;
            case 7:
                merges.Add(rng.Pick(new[] { "zzq qqz", "a", "Ġ zzq" }));
                result = ("merge outside the vocabulary or malformed", Expect.Refuse, "merges");
                break;
            case 8:
                merges[rng.Next(merges.Count)] = Mutate.Raw(rng.Pick(new[] { "\"abc\"", "[\"a\"]", "[1, 2]", "null", "\"a  b\"", "\"\"" }));
                result = ("merge of the wrong form", Expect.Refuse, "merges");
                break;
            case 9:
                model["type"] = Mutate.Raw(rng.Pick(new[] { "\"WordPiece\"", "123", "null", "\"bpe\"" }));
                result = ("model.type not BPE", Expect.Refuse, null);
                break;
            case 10:
                added.RemoveAt(added.Select((t, i) => (t, i)).First(p => (string?)p.t!["content"] == (qwen ? QwenTokenizer.ImEnd : ClipTokenizer.EndOfText)).i);
                if (!qwen) vocab.Remove(ClipTokenizer.EndOfText);
                result = ("a required special token removed", Expect.Refuse, null);
                break;
            case 11:
                root.Remove(rng.Pick(new[] { "model" }));
                result = ("model removed", Expect.Refuse, "model");
                break;
            case 12:
                if (rng.Next(2) == 0) token["content"] = Mutate.Raw(rng.Pick(new[] { "1", "[]", "\"\"", "{}", "true" }));
                else token["special"] = Mutate.Raw(rng.Pick(new[] { "1", "[]", "\"yes\"", "{}" }));
                result = ("added token field of the wrong kind", Expect.Refuse, $"added_tokens[{addedIndex}]");
                break;
            case 13:
            {
                // Valid rewrites: merges as pairs, special flags flipped, keys shuffled.
                for (int i = 0; i < merges.Count; i++)
                    if (merges[i] is JsonValue v && v.TryGetValue(out string? text)) merges[i] = new JsonArray(text.Split(' ')[0], text.Split(' ')[1]);
                foreach (var t in added) t!["special"] = rng.Next(2) == 0;
                File.WriteAllText(path, Mutate.Write(Mutate.Shuffle(root, rng), indented: rng.Next(2) == 0));
                return ("rewritten: pair merges, special flags, shuffled keys", Expect.Accept, null);
            }
            case 14:
                File.WriteAllText(path, original[..rng.Next(original.Length / 2)]);
                return ("truncated", Expect.Refuse, null);
            case 15:
                File.WriteAllBytes(path, Mutate.FlipBytes(Encoding.UTF8.GetBytes(original), rng, rng.Next(1, 4)));
                return ("random bytes flipped", Expect.Either, null);
            case 16:
            {
                string text = Mutate.Write(root);
                int at = text.IndexOf("\"vocab\": {", StringComparison.Ordinal) + "\"vocab\": {".Length;
                File.WriteAllText(path, text.Insert(at, "\"q\\ud800\": 12345, "));
                return ("vocabulary key with a lone surrogate escape", Expect.Refuse, null);
            }
            default:
                return (FileKinds.Replace(path, rng, _workspace, InputFiles.MaxTokenizerBytes), Expect.Refuse, null);
        }
        File.WriteAllText(path, Mutate.Write(root));
        return result;
    }

    private (string, Expect, string?) MutateSlowForm(Random rng, string folder, bool qwen)
    {
        string vocabPath = Path.Combine(folder, "vocab.json"), mergesPath = Path.Combine(folder, "merges.txt");
        string configPath = Path.Combine(folder, "tokenizer_config.json");
        var lines = File.ReadAllLines(mergesPath).ToList();
        switch (rng.Next(8))
        {
            case 0:
                lines.Insert(rng.Next(1, lines.Count), lines[rng.Next(1, lines.Count)]);
                File.WriteAllLines(mergesPath, lines);
                return ("merges.txt: duplicate line", Expect.Refuse, "repeats the merge");
            case 1:
                lines[rng.Next(1, lines.Count)] = rng.Pick(new[] { "a b c", "ab", " a", "a " });
                File.WriteAllLines(mergesPath, lines);
                return ("merges.txt: malformed line", Expect.Refuse, "line ");
            case 2:
                lines.RemoveAll(l => l.StartsWith("#version", StringComparison.Ordinal));
                File.WriteAllLines(mergesPath, lines);
                return ("merges.txt without #version", Expect.Accept, null);
            case 3:
            {
                var vocab = Mutate.ParseObject(File.ReadAllText(vocabPath));
                vocab[rng.Pick(vocab.Select(p => p.Key).ToList())] = Mutate.Raw(rng.Pick(new[] { "-1", "\"3\"", "2147483647", "0.5" }));
                File.WriteAllText(vocabPath, Mutate.Write(vocab));
                return ("vocab.json: id invalid", Expect.Refuse, null);
            }
            case 4:
            {
                if (!qwen || !File.Exists(configPath)) goto case 5;
                var config = Mutate.ParseObject(File.ReadAllText(configPath));
                var decoder = config["added_tokens_decoder"]!.AsObject();
                string id = rng.Pick(decoder.Select(p => p.Key).ToList());
                string badId = rng.Pick(new[] { "x", "-1", "1e3", "99999999999" });
                decoder[badId] = decoder[id]!.DeepClone();
                decoder.Remove(id);
                File.WriteAllText(configPath, Mutate.Write(config));
                return ("tokenizer_config.json: added token key not an id", Expect.Refuse, "added_tokens_decoder");
            }
            case 5:
                File.WriteAllText(vocabPath, rng.Pick(new[] { "[]", "", "{\"a\": 1", "null" }));
                return ("vocab.json not an object", Expect.Refuse, null);
            case 6:
                File.WriteAllBytes(mergesPath, Mutate.Insert(File.ReadAllBytes(mergesPath), 20, [0xFF, 0xFE]));
                return ("merges.txt: invalid UTF-8", Expect.Refuse, null);
            default:
                return (FileKinds.Replace(rng.Pick(new[] { vocabPath, mergesPath }), rng, _workspace, InputFiles.MaxTokenizerBytes), Expect.Refuse, null);
        }
    }
}
