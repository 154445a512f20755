using System.Text;
using StyleAlign.Engine.IO;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Tests.Fuzz;

/// <summary>
/// Mutated preprocessor_config.json files of the Qwen2-VL and CLIP image processors, loaded, checked against the
/// tiny models' vision configs and used on a real image, as the caption, training and judging paths do.
/// </summary>
internal sealed class ProcessorFuzz : IFuzzTarget
{
    private const string ClipSeed = """
        {
          "crop_size": {"height": 32, "width": 32}, "do_center_crop": true, "do_convert_rgb": true, "do_normalize": true,
          "do_rescale": true, "do_resize": true, "image_mean": [0.48145466, 0.4578275, 0.40821073],
          "image_processor_type": "CLIPImageProcessor", "image_std": [0.26862954, 0.26130258, 0.27577711],
          "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 32}
        }
        """;

    private static readonly ConfigKey[] QwenKeys =
    [
        new("min_pixels", ["min_pixels", "size.shortest_edge"], false, [.. ConfigKey.BadCounts, "67108865"], [("784", Expect.Accept), ("12544", Expect.Accept)]),
        new("max_pixels", ["max_pixels", "size.longest_edge"], false, [.. ConfigKey.BadCounts, "67108865", "100"], [("50176", Expect.Accept), ("67108864", Expect.Accept)]),
        new("patch_size", ["patch_size"], false, [.. ConfigKey.BadCounts, "257"], [("16", Expect.Refuse), ("14", Expect.Accept)]),
        new("temporal_patch_size", ["temporal_patch_size"], false, [.. ConfigKey.BadCounts, "17"], [("1", Expect.Refuse)]),
        new("merge_size", ["merge_size"], false, [.. ConfigKey.BadCounts, "17"], [("1", Expect.Refuse)]),
        new("rescale_factor", ["rescale_factor"], false, ConfigKey.BadPositives, [("0.5", Expect.Accept), ("1", Expect.Accept)]),
        new("image_mean", ["image_mean"], false, ["[1, 2]", "\"x\"", "[1, \"a\", 2]", "[1e400, 0, 0]", "{}"], [("0.5", Expect.Accept), ("[0, 0, 0]", Expect.Accept)]),
        new("image_std", ["image_std"], false, ["[1, 2]", "[0, 0, 0]", "[-1, 1, 1]", "0"], [("[1, 1, 1]", Expect.Accept), ("0.5", Expect.Accept)]),
        new("resample", ["resample"], false, ["2", "\"3\"", "0", "3.5"], [("3", Expect.Accept)]),
        // "false": what must happen depends on the image's size; ExpectWithoutResize decides it, not this entry.
        new("do_resize", ["do_resize"], false, ["\"yes\"", "1"], [("false", Expect.Refuse), ("true", Expect.Accept)]),
        new("do_normalize", ["do_normalize"], false, ["\"no\"", "0"], [("false", Expect.Accept)]),
        new("do_rescale", ["do_rescale"], false, ["[]", "\"false\""], [("false", Expect.Accept)]),
        new("size", ["size"], false, ["5", "\"big\"", "[1]"], []),
    ];

    private static readonly ConfigKey[] ClipKeys =
    [
        new("size", ["size"], false, ["{\"height\": 32, \"width\": 32}", "\"32\"", "[32]", "0", "-5", "{\"shortest_edge\": 0}"],
            [("32", Expect.Accept), ("48", Expect.Accept), ("{\"shortest_edge\": 40}", Expect.Accept)]),
        new("crop_size", ["crop_size"], false, ["\"32\"", "[32, 32]", "0", "{\"height\": -1, \"width\": 32}", "{\"height\": 32, \"width\": 1.5}"],
            [("32", Expect.Accept), ("64", Expect.Refuse), ("{\"height\": 32, \"width\": 16}", Expect.Refuse)]),
        new("do_center_crop", ["do_center_crop"], false, ["false", "\"true\""], [("true", Expect.Accept)]),
        new("do_resize", ["do_resize"], false, ["false", "0"], [("true", Expect.Accept)]),
        new("rescale_factor", ["rescale_factor"], false, ConfigKey.BadPositives, [("0.25", Expect.Accept)]),
        new("image_mean", ["image_mean"], false, ["[1, 2]", "\"x\"", "[true, 0, 0]"], [("[0.5, 0.5, 0.5]", Expect.Accept)]),
        new("image_std", ["image_std"], false, ["[0, 1, 1]", "[1, 1]", "-2"], [("[0.5, 0.5, 0.5]", Expect.Accept)]),
        new("resample", ["resample"], false, ["1", "\"bicubic\""], [("3", Expect.Accept)]),
    ];

    private readonly FuzzWorkspace _workspace;
    private readonly Qwen25VLVisionConfig _qwenVision;
    private readonly ClipVisionConfig _clipVision;
    private readonly string _qwenSeed;
    private readonly int _qwenPatchUnit;
    private readonly RgbImage _image;

    public ProcessorFuzz(FuzzWorkspace workspace)
    {
        _workspace = workspace;
        _qwenVision = Qwen25VLConfig.Load(FuzzWorkspace.Fixture("qwen25vl_tiny")).Vision;
        _clipVision = ClipConfig.Load(FuzzWorkspace.Fixture("clip_tiny")).Vision;
        _qwenSeed = File.ReadAllText(FuzzWorkspace.Fixture("qwen25vl_tiny", "processor", "preprocessor_config.json"));
        var seed = Mutate.ParseObject(_qwenSeed);
        _qwenPatchUnit = (int)seed["patch_size"]! * (int)seed["merge_size"]!;
        _image = ImageDecoder.Load(FuzzWorkspace.Fixture("qwen25vl_tiny", "processor", "img100x150.png"));
    }

    public string Kind => "preprocessor";

    public FuzzCase Generate(Random rng, string folder)
    {
        bool qwen = rng.Next(2) == 0;
        string path = Path.Combine(folder, "preprocessor_config.json");
        string seed = qwen ? _qwenSeed : ClipSeed;
        var config = Mutate.ParseObject(seed);
        (string Mutation, Expect Expect, string? Key) outcome;
        int choice = rng.Next(10);
        if (choice < 7)
        {
            var key = rng.Pick(qwen ? QwenKeys : ClipKeys);
            bool invalid = key.Valid.Length == 0 || rng.Next(2) == 0;
            var (value, expect) = invalid ? (rng.Pick(key.Invalid), Expect.Refuse) : rng.Pick(key.Valid);
            foreach (string p in key.Paths.Where(p => Mutate.Has(config, p)).DefaultIfEmpty(key.Paths[0])) Mutate.Set(config, p, Mutate.Raw(value));
            outcome = ($"{key.Name} = {value}{(invalid ? "" : " (valid)")}", expect, expect == Expect.Refuse && invalid ? key.Name.Split('.')[^1] : null);
            File.WriteAllText(path, Mutate.Write(config));
        }
        else if (choice == 7)
        {
            if (rng.Next(2) == 0) Mutate.Set(config, rng.Pick(new[] { "custom", "size.extra" }), 5);
            // Without crop_size CLIP crops to its default 224, which the 32-pixel tiny tower cannot take.
            else Mutate.Remove(config, rng.Pick(config.Select(p => p.Key).Where(k => k != "crop_size").ToList()));
            outcome = ("optional key added or removed", Expect.Accept, null);
            File.WriteAllText(path, Mutate.Write(Mutate.Shuffle(config, rng)));
        }
        else if (qwen && rng.Next(3) == 0)
        {
            Mutate.Set(config, "min_pixels", 20000);
            Mutate.Set(config, "max_pixels", 10000);
            outcome = ("min_pixels above max_pixels", Expect.Refuse, "min_pixels");
            File.WriteAllText(path, Mutate.Write(config));
        }
        else
        {
            byte[] bytes = Encoding.UTF8.GetBytes(seed);
            switch (rng.Next(4))
            {
                case 0:
                    File.WriteAllText(path, rng.Pick(new[] { "", "{", "[]", "null", "not json", seed[..(seed.Length / 2)] }));
                    outcome = ("empty, truncated or not an object", Expect.Refuse, null);
                    break;
                case 1:
                    File.WriteAllBytes(path, Mutate.FlipBytes(bytes, rng, rng.Next(1, 4)));
                    outcome = ("random bytes flipped", Expect.Either, null);
                    break;
                case 2:
                    File.WriteAllBytes(path, Mutate.Scramble(bytes, rng));
                    outcome = ("random run of bytes overwritten", Expect.Either, null);
                    break;
                default:
                    outcome = (FileKinds.Replace(path, rng, _workspace, InputFiles.MaxConfigBytes), Expect.Refuse, null);
                    break;
            }
        }
        string[] names = outcome.Key is null ? [folder] : [folder, outcome.Key];
        Func<int, int, Expect>? expectForImage = qwen && outcome.Mutation == "do_resize = false (valid)" ? ExpectWithoutResize : null;
        var caseExpect = expectForImage?.Invoke(_image.Height, _image.Width) ?? outcome.Expect;
        return new FuzzCase($"{(qwen ? "qwen" : "clip")}: {outcome.Mutation}", caseExpect, () => Use(folder, qwen), names, ExpectForImage: expectForImage);
    }

    /// <summary>Without resizing, the Qwen2-VL processor takes an image only when both its sides are multiples of
    /// patch × merge size (the seed's; the do_resize case changes no other key).</summary>
    private Expect ExpectWithoutResize(int height, int width) =>
        height % _qwenPatchUnit == 0 && width % _qwenPatchUnit == 0 ? Expect.Accept : Expect.Refuse;

    private void Use(string folder, bool qwen)
    {
        if (qwen)
        {
            var processor = QwenImageProcessor.Load(folder);
            processor.CheckModel(_qwenVision, folder);
            processor.Process(new RgbImage(_image.Pixels, _image.Height, _image.Width) { Source = Path.Combine(folder, "image.png") });
        }
        else
        {
            var processor = ClipImageProcessor.Load(folder);
            processor.CheckModel(_clipVision, folder);
            processor.Process(new RgbImage(_image.Pixels, _image.Height, _image.Width) { Source = Path.Combine(folder, "image.png") });
        }
    }
}
