using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Cli.Verbs.Bench;

/// <summary>
/// engine-cli bench model-forward --weights DIR [--image-size 448]: loads a Qwen2.5-VL checkpoint, runs one
/// forward pass on a synthetic image plus a short prompt on the CPU, and reports load time, forward time and
/// the process's peak resident memory.
/// </summary>
public sealed class ModelForwardBench : IBenchSubverb
{
    public Command Build()
    {
        var weights = VerbSupport.Weights();
        var size = new Option<int>("--image-size") { Description = "Square image side in pixels", DefaultValueFactory = _ => 448 };
        var text = new Option<int>("--text-tokens") { Description = "Ordinary tokens around the image", DefaultValueFactory = _ => 32 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var command = new Command("model-forward", "Load a Qwen2.5-VL checkpoint and time one CPU forward pass on one image.\n\nExample:\n  engine-cli init-random --config docs/configs/qwen2.5-vl-3b-instruct.config.json --out /tmp/q3b\n  engine-cli bench model-forward --weights /tmp/q3b --image-size 448 --json");
        foreach (var o in new Option[] { weights, size, text, json }) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var side = parse.GetValue(size);
            var clock = Stopwatch.StartNew();
            var model = Qwen25VLModel.Load(parse.GetValue(weights)!);
            var loadSeconds = clock.Elapsed.TotalSeconds;

            var pixels = new byte[side * side * 3];
            for (var i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7 % 251);
            var processed = new QwenImageProcessor().Process(new RgbImage(pixels, side, side));
            var grid = processed.Grids[0];
            var imageTokens = grid.LlmTokenCount();
            var cfg = model.Config.Text;
            var tokens = new List<long>();
            var textTokens = parse.GetValue(text);
            for (var i = 0; i < textTokens / 2; i++) tokens.Add(100 + i);
            tokens.Add(cfg.VisionStartTokenId);
            tokens.AddRange(Enumerable.Repeat((long)cfg.ImageTokenId, imageTokens));
            tokens.Add(cfg.VisionEndTokenId);
            for (var i = 0; i < textTokens - textTokens / 2; i++) tokens.Add(200 + i);
            var ids = new long[1, tokens.Count];
            for (var i = 0; i < tokens.Count; i++) ids[0, i] = tokens[i];

            clock.Restart();
            double visionSeconds, totalSeconds;
            long vocab;
            using (Tape.NoGrad())
            using (Tape.Begin())
            {
                var embeds = model.EncodeImages(Tensor.FromFloats(processed.PixelValues, new Shape(processed.Rows, processed.Columns)), [(grid.T, grid.H, grid.W)]);
                visionSeconds = clock.Elapsed.TotalSeconds;
                var hidden = model.Forward(new Qwen25VLInputs(ids, null, null, [(grid.T, grid.H, grid.W)]), embeds);
                vocab = model.Logits(hidden.Narrow(1, tokens.Count - 1, 1)).Shape[^1];
                totalSeconds = clock.Elapsed.TotalSeconds;
            }
            var peak = Process.GetCurrentProcess().PeakWorkingSet64;
            var result = new Dictionary<string, object>
            {
                ["parameters"] = model.Parameters.Count,
                ["patches"] = processed.Rows,
                ["sequence_tokens"] = tokens.Count,
                ["vocab"] = vocab,
                ["load_seconds"] = Math.Round(loadSeconds, 2),
                ["vision_seconds"] = Math.Round(visionSeconds, 2),
                ["forward_seconds"] = Math.Round(totalSeconds, 2),
                ["peak_rss_bytes"] = peak,
            };
            Console.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(result)
                : string.Join(Environment.NewLine, result.Select(kv => $"{kv.Key,-16} {kv.Value}")));
            return ExitCodes.Ok;
        });
        return command;
    }
}
