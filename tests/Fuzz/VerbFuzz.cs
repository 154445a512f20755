using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Models.Clip;
using StyleAlign.Engine.Vision;
using StyleAlign.Tests.Training;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Tests.Fuzz;

/// <summary>
/// The library fuzzers' cases run through the verbs a user would run on them: a mutated checkpoint or config through
/// <c>inspect</c> or <c>forward</c>, a mutated tokenizer or image-processor config through <c>generate</c> (Qwen) or
/// <c>classifier train</c> (CLIP), a mutated image through <c>generate</c>. Each case's folder is completed with the
/// tiny model's other files; what must happen is what the library case says, judged on the command's output.
/// </summary>
internal sealed partial class VerbFuzz : IFuzzTarget
{
    private static readonly string[] InnerKinds = ["safetensors", "qwen-config", "clip-config", "tokenizer", "preprocessor", "image"];

    private readonly Dictionary<string, IFuzzTarget> _inner;
    private readonly string _qwen, _clip, _data, _qwenInputs, _clipInputs, _image;
    private readonly int _imageHeight, _imageWidth;
    private readonly HashSet<long> _clipIdsInEveryRow;

    public VerbFuzz(FuzzWorkspace workspace, Func<string, IFuzzTarget> library)
    {
        _inner = InnerKinds.ToDictionary(k => k, library);
        _qwen = TinyTraining.WriteModelFolder(Path.Combine(workspace.Seeds, "verbs-qwen"));
        _clip = Path.Combine(workspace.Seeds, "verbs-clip");
        TinyClip.Write(_clip);
        _data = Path.Combine(workspace.Seeds, "verbs-data");
        SyntheticStyleDataset.Generate(_data, new SyntheticOptions { TrainCount = 4, ValidationCount = 0, TestCount = 0, Styles = [SyntheticCaptions.Humor], ImageSize = 32 });
        _qwenInputs = InputsOnly("qwen25vl_tiny", "case1_text_leftpad.safetensors", Path.Combine(workspace.Seeds, "verbs-qwen-inputs.safetensors"), "input_ids", "attention_mask");
        _clipInputs = InputsOnly("clip_tiny", "case_forward.safetensors", Path.Combine(workspace.Seeds, "verbs-clip-inputs.safetensors"), "input_ids", "attention_mask", "pixel_values");
        _image = FuzzWorkspace.Fixture("qwen25vl_tiny", "processor", "img84x112.png");
        var image = ImageDecoder.Load(_image);
        (_imageHeight, _imageWidth) = (image.Height, image.Width);
        _clipIdsInEveryRow = IdsInEveryRow(_clipInputs);
    }

    public string Kind => "verbs";

    public FuzzCase Generate(Random rng, string folder)
    {
        string kind = rng.Pick(InnerKinds);
        var inner = _inner[kind].Generate(rng, folder);
        // The sharded checkpoint (in a "model" subfolder) is a CLIP one.
        bool clip = inner.Mutation.StartsWith("clip", StringComparison.Ordinal) || kind == "clip-config" || Directory.Exists(Path.Combine(folder, "model"));
        string output = Path.Combine(folder, "verb-output");
        VerbCommand verb = kind switch
        {
            "safetensors" or "qwen-config" or "clip-config" => CheckpointVerb(rng, Directory.Exists(Path.Combine(folder, "model")) ? Path.Combine(folder, "model") : folder, clip, output),
            // The tokenizer case decides which tokenizer files exist (vocab.json + merges.txt instead of tokenizer.json).
            "tokenizer" => ModelVerb(Complete(folder, clip, name => name is "config.json" or "model.safetensors" or "preprocessor_config.json"), clip, output),
            "preprocessor" => ModelVerb(Complete(folder, clip, _ => true), clip, output),
            _ => Generate(_qwen, ImagePath(folder, inner.Mutation)),
        };
        var expect = inner.ExpectForImage is { } forImage && kind == "preprocessor" && !clip ? forImage(_imageHeight, _imageWidth) : inner.Expect;
        var mustName = inner.MustName;
        // A refusal then concerns the inputs file, which it must name with the key.
        if (expect == Expect.Accept && clip && verb.Args[0] == "forward" && PoolsAtAbsentEos(inner.Mutation))
            (expect, mustName) = (Expect.Either, [_clipInputs, "eos_token_id"]);
        return FuzzCase.Command($"{kind} → {string.Join(' ', verb.Args.TakeWhile(a => !a.StartsWith('-')))}: {inner.Mutation}", expect, verb, mustName, inner.CheckAccepted);
    }

    /// <summary>
    /// A valid CLIP eos_token_id that some row of the forward inputs does not hold: CLIP pools each row's text at that
    /// token (at the highest id for the legacy value), so forward may refuse the inputs, and must do so cleanly.
    /// </summary>
    private bool PoolsAtAbsentEos(string mutation) =>
        ValidEosMutation().Match(mutation) is { Success: true } match && long.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) is var id &&
        id != ClipConfig.LegacyEosTokenId && !_clipIdsInEveryRow.Contains(id);

    [GeneratedRegex(@"text_config\.eos_token_id = (\d+) \(valid\)$")]
    private static partial Regex ValidEosMutation();

    private static HashSet<long> IdsInEveryRow(string inputs)
    {
        using var file = SafetensorsFile.Open(inputs);
        long[] ids = MemoryMarshal.Cast<byte, long>(file.GetBytes("input_ids")).ToArray();
        int length = (int)file.GetEntry("input_ids").Shape[^1];
        var rows = Enumerable.Range(0, ids.Length / length).Select(r => ids[(r * length)..((r + 1) * length)].ToHashSet()).ToList();
        return rows.Skip(1).Aggregate(rows[0], (common, row) => { common.IntersectWith(row); return common; });
    }

    private VerbCommand CheckpointVerb(Random rng, string weights, bool clip, string output) => rng.Next(2) == 0
        ? new(["inspect", "--weights", weights])
        : new(["forward", "--weights", weights, "--inputs", clip ? _clipInputs : _qwenInputs, "--out", output + ".safetensors"]);

    private VerbCommand ModelVerb(string model, bool clip, string output) => clip ? ClassifierTrain(model, output) : Generate(model, _image);

    private static VerbCommand Generate(string weights, string image) =>
        new(["generate", "--weights", weights, "--image", image, "--max-new-tokens", "4"]);

    private VerbCommand ClassifierTrain(string clip, string output) =>
        new(["classifier", "train", "--clip", clip, "--data", Path.Combine(_data, "train.jsonl"), "--style", SyntheticCaptions.Humor, "--out", output,
            "--epochs", "1", "--hidden", "8", "--cache", "none"]);

    /// <summary>Copies the seed model's files that <paramref name="wanted"/> picks and the case did not write into its folder.</summary>
    private string Complete(string folder, bool clip, Func<string, bool> wanted)
    {
        foreach (string file in Directory.GetFiles(clip ? _clip : _qwen))
        {
            string name = Path.GetFileName(file), target = Path.Combine(folder, name);
            if (wanted(name) && !File.Exists(target) && !Directory.Exists(target)) File.Copy(file, target);
        }
        return folder;
    }

    /// <summary>The image a case wrote: its mutation starts with the file's name.</summary>
    private static string ImagePath(string folder, string mutation) => Path.Combine(folder, mutation[..mutation.IndexOf(':')]);

    private static string InputsOnly(string fixture, string file, string target, params string[] names)
    {
        using var source = SafetensorsFile.Open(FuzzWorkspace.Fixture(fixture, file));
        SafetensorsWriter.Write(target, names.Select(n => (n, source.GetEntry(n).DType, source.GetEntry(n).Shape, (ReadOnlyMemory<byte>)source.GetBytes(n).ToArray())));
        return target;
    }
}
