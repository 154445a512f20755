using System.Text;
using System.Text.Json.Nodes;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Vision;
using StyleAlign.Tests.Training;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Tests.Fuzz;

/// <summary>
/// Mutated data files — JSONL lines and the images they name — run through the verbs that read them: <c>eval</c>,
/// <c>simpo</c> (one step) and <c>classifier train</c> on the tiny models. A bad line must be refused naming the file
/// and its line (or, with --skip-bad, skipped); an image outside the data folder must be refused unless
/// --allow-outside-paths; a text beyond the documented limit must be refused before it is tokenized; valid
/// variations (unknown fields, CRLF, a byte-order mark, blank lines, Unicode) must train and evaluate.
/// </summary>
internal sealed class DataFuzz : IFuzzTarget
{
    private readonly FuzzWorkspace _workspace;
    private readonly string _qwen, _clip, _data;
    private readonly string[] _lines;

    public DataFuzz(FuzzWorkspace workspace)
    {
        _workspace = workspace;
        _qwen = TinyTraining.WriteModelFolder(Path.Combine(workspace.Seeds, "data-qwen"));
        _clip = Path.Combine(workspace.Seeds, "data-clip");
        TinyClip.Write(_clip);
        _data = Path.Combine(workspace.Seeds, "data");
        SyntheticStyleDataset.Generate(_data, new SyntheticOptions { TrainCount = 4, ValidationCount = 0, TestCount = 0, Styles = [SyntheticCaptions.Humor], ImageSize = 32 });
        _lines = File.ReadAllLines(Path.Combine(_data, "train.jsonl"));
    }

    public string Kind => "data";

    public FuzzCase Generate(Random rng, string folder)
    {
        string data = Path.Combine(folder, "data");
        Directory.CreateDirectory(Path.Combine(data, "images"));
        foreach (string image in Directory.GetFiles(Path.Combine(_data, "images")))
            File.Copy(image, Path.Combine(data, "images", Path.GetFileName(image)));
        string jsonl = Path.Combine(data, "train.jsonl");
        var lines = _lines.Select(l => Mutate.ParseObject(l)).ToList();
        int index = rng.Next(lines.Count);
        int verbChoice = rng.Next(10);
        bool classifier = verbChoice >= 7;
        var (mutation, expect, named, text) = MutateLines(rng, lines, index, data, jsonl, classifier);
        if (text is not null) File.WriteAllBytes(jsonl, text);

        // With --skip-bad a refused line is skipped and the rest trains (unless the damage is to the whole file, or no
        // good line is left: a file cut short inside its first line holds none, and a run without examples is refused).
        bool goodLineLeft = !(mutation == "line cut short" && index == 0);
        bool skipBad = !classifier && expect == Expect.Refuse && named == LineMark(jsonl, index + 1) && goodLineLeft && rng.Next(4) == 0;
        var verb = verbChoice switch
        {
            < 4 => Eval(jsonl, folder, skipBad),
            < 7 => Simpo(jsonl, folder, skipBad),
            _ => ClassifierTrain(jsonl, folder),
        };
        if (skipBad) (mutation, expect) = (mutation + " with --skip-bad", Expect.Accept);
        return FuzzCase.Command($"{verb.Args[0]}: {mutation}", expect, verb, named is null ? [jsonl] : [named]);
    }

    private VerbCommand Eval(string jsonl, string folder, bool skipBad) =>
        new(["eval", "--weights", _qwen, "--data", jsonl, "--records", Path.Combine(folder, "records.jsonl"), .. skipBad ? ["--skip-bad"] : Array.Empty<string>()]);

    private VerbCommand Simpo(string jsonl, string folder, bool skipBad) =>
        new(["simpo", "--weights", _qwen, "--data", jsonl, "--out", Path.Combine(folder, "run"), "--max-steps", "1", "--batch-size", "2",
            "--lora-rank", "2", "--max-caption-tokens", "8", "--quiet", .. skipBad ? ["--skip-bad"] : Array.Empty<string>()]);

    private VerbCommand ClassifierTrain(string jsonl, string folder) =>
        new(["classifier", "train", "--clip", _clip, "--data", jsonl, "--style", SyntheticCaptions.Humor, "--out", Path.Combine(folder, "clf"),
            "--epochs", "1", "--hidden", "8", "--cache", "none"]);

    /// <summary>"file:line", as the data errors begin.</summary>
    private static string LineMark(string jsonl, int line) => $"{jsonl}:{line}";

    private static readonly string[] Fields = ["id", "image", "prompt", "chosen", "rejected"];

    /// <summary>Returns the mutation, what must happen, what the error must name (null: the file) and the file's new bytes.</summary>
    /// <param name="clip">the verb reads images with the CLIP processor, which takes any size</param>
    private (string, Expect, string?, byte[]?) MutateLines(Random rng, List<JsonObject> lines, int index, string data, string jsonl, bool clip)
    {
        var line = lines[index];
        string at = LineMark(jsonl, index + 1);
        byte[] Lines(string newline = "\n") => Encoding.UTF8.GetBytes(string.Join(newline, lines.Select(l => Mutate.Write(l, indented: false))) + newline);
        switch (rng.Next(24))
        {
            case 0: return ("as is", Expect.Accept, null, Lines());
            case 1:
            {
                string field = rng.Pick(Fields);
                line.Remove(field);
                return ($"'{field}' removed", Expect.Refuse, at, Lines());
            }
            case 2:
            {
                string field = rng.Pick(Fields);
                string value = rng.Pick(new[] { "42", "[\"a\"]", "{\"a\": 1}", "true", "\"  \"", "\"\"" });
                line[field] = Mutate.Raw(value);
                return ($"'{field}' = {value}", Expect.Refuse, at, Lines());
            }
            case 3:
            {
                string field = rng.Pick(new[] { "prompt", "chosen", "rejected" });
                line[field] = Mutate.Raw("\"a lone \\ud800 surrogate\"");
                return ($"'{field}' holds a lone surrogate", Expect.Refuse, at, Lines());
            }
            case 4:
            {
                string field = rng.Pick(new[] { "prompt", "chosen", "rejected" });
                int length = rng.Pick(new[] { DataLimits.MaxTextCharacters + 1, 100_000, 1_000_000 });
                line[field] = string.Concat(Enumerable.Repeat("ha ", length / 3 + 1))[..length];
                return ($"'{field}' of {length} characters", Expect.Refuse, at, Lines());
            }
            case 5:
                line["id"] = lines[(index + 1) % lines.Count]["id"]!.DeepClone();
                return ("duplicate id", Expect.Refuse, LineMark(jsonl, Math.Max(index, (index + 1) % lines.Count) + 1), Lines());
            case 6:
            {
                var (image, expect) = rng.Pick(new[]
                {
                    (Path.Combine(data, "images", "0000.png"), Expect.Refuse), ("/etc/hostname", Expect.Refuse), ("images/../../x.png", Expect.Refuse),
                    ("../data/images/0000.png", Expect.Accept), ("./images/../images/0001.png", Expect.Accept),
                });
                line["image"] = image;
                return ($"image path '{(image.StartsWith('/') ? "absolute" : image)}'", expect, expect == Expect.Refuse ? at : null, Lines());
            }
            case 7:
                line["image"] = "images/missing.png";
                return ("image missing", Expect.Refuse, at, Lines());
            case 8:
            {
                string image = Path.Combine(data, "images", $"{index:D4}.png");
                string name = FileKinds.Replace(image, rng, _workspace, Engine.IO.InputFiles.MaxImageBytes);
                return ($"image: {name}", Expect.Refuse, at, Lines());
            }
            case 9:
            {
                string image = Path.Combine(data, "images", line["image"]!.GetValue<string>()[("images/".Length)..]);
                byte[] bytes = File.ReadAllBytes(image);
                File.WriteAllBytes(image, rng.Next(2) == 0 ? bytes[..rng.Next(bytes.Length)] : Mutate.FlipBytes(bytes, rng, rng.Next(1, 6)));
                return ("image damaged", Expect.Either, null, Lines());
            }
            case 10:
            {
                string image = Path.Combine(data, "images", line["image"]!.GetValue<string>()[("images/".Length)..]);
                var (w, h) = rng.Pick(new[] { (4, 4), (1, 1), (6000, 28), (27, 500) });
                var rgb = new byte[w * h * 3];
                rng.NextBytes(rgb);
                File.WriteAllBytes(image, PngEncoder.Encode(rgb, w, h));
                return ($"image of {w}x{h}", clip ? Expect.Accept : Expect.Refuse, clip ? null : at, Lines());
            }
            case 11:
            {
                var bytes = Lines();
                int cut = Encoding.UTF8.GetByteCount(string.Join("\n", lines.Take(index).Select(l => Mutate.Write(l, indented: false)))) + (index > 0 ? 1 : 0);
                return ("line cut short", Expect.Refuse, at, [.. bytes[..(cut + rng.Next(1, 40))], .. "\n"u8]);
            }
            case 12:
            {
                string replacement = rng.Pick(new[] { "[]", "42", "\"line\"", "null", "{" });
                var text = lines.Select(l => Mutate.Write(l, indented: false)).ToList();
                text[index] = replacement;
                return ($"line = {replacement}", Expect.Refuse, at, Encoding.UTF8.GetBytes(string.Join("\n", text) + "\n"));
            }
            case 13:
            {
                var bytes = Encoding.UTF8.GetBytes(Mutate.Write(line, indented: false));
                var text = lines.Select(l => Encoding.UTF8.GetBytes(Mutate.Write(l, indented: false) + "\n")).ToList();
                text[index] = [.. bytes[..(bytes.Length / 2)], 0xC3, 0x28, .. bytes[(bytes.Length / 2)..], (byte)'\n'];
                return ("invalid UTF-8 in a line", Expect.Refuse, $"line {index + 1}", text.SelectMany(b => b).ToArray());
            }
            case 14:
                line["comment"] = Mutate.Raw(rng.Pick(new[] { "1", "\"x\"", "null", "[1, 2]", "{\"a\": true}" }));
                return ("unknown field added", Expect.Accept, null, Lines());
            case 15: return ("CRLF line endings", Expect.Accept, null, Lines("\r\n"));
            case 16: return ("byte-order mark", Expect.Accept, null, [0xEF, 0xBB, 0xBF, .. Lines()]);
            case 17: return ("blank lines between", Expect.Accept, null, Lines("\n\n  \n"));
            case 18:
                line["chosen"] = rng.Pick(new[] { "日本語のキャプション 😀", "ünïcödé café", "tab\there", "quote \" and \\ backslash" });
                return ("Unicode caption", Expect.Accept, null, Lines());
            case 19: return ("empty file", Expect.Refuse, null, []);
            case 20: return ("only blank lines", Expect.Refuse, null, "\n \n\n"u8.ToArray());
            case 21:
            {
                var bytes = Lines();
                var longLine = new string('x', DataLimits.MaxLineBytes + 10);
                return ("a line longer than the line limit", Expect.Refuse, $"line {lines.Count + 1}", [.. bytes, .. Encoding.UTF8.GetBytes(longLine), (byte)'\n']);
            }
            case 22:
                return (FileKinds.Replace(jsonl, rng, _workspace, 1L << 24), Expect.Refuse, null, null);
            default:
            {
                int length = rng.Pick(new[] { 2_000, 6_000 });
                line["prompt"] = string.Concat(Enumerable.Repeat("describe ", length / 9 + 1))[..length];
                return ($"prompt of {length} characters (fits the model or is refused naming the line)", Expect.Either, at, Lines());
            }
        }
    }
}
