using System.Diagnostics;
using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Engine.Vision;

namespace StyleAlign.Bench.Harness;

/// <summary>
/// Loads a Qwen2.5-VL (a checkpoint, or random weights from a config) and runs one CPU forward pass on a synthetic
/// square image plus a short prompt: load time, vision and total forward time, and the process's peak resident memory,
/// as one report keyed by the names `bench model-forward --json` prints.
/// </summary>
public static class ModelForwardBenchmark
{
    public static Dictionary<string, object> Run(BenchModelSource source, int imageSide, int textTokens)
    {
        var loaded = source.Load(Device.Cpu);
        var model = loaded.Model;
        var loadSeconds = loaded.LoadSeconds;
        var clock = Stopwatch.StartNew();

        var pixels = new byte[imageSide * imageSide * 3];
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 7 % 251);
        var processed = new QwenImageProcessor().Process(new RgbImage(pixels, imageSide, imageSide));
        var grid = processed.Grids[0];
        var imageTokens = grid.LlmTokenCount();
        var cfg = model.Config.Text;
        var tokens = new List<long>();
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
        using (GradMode.NoGrad())
        using (TensorScope.Begin())
        {
            var embeds = model.EncodeImages(Tensor.FromFloats(processed.PixelValues, new Shape(processed.Rows, processed.Columns)), [(grid.T, grid.H, grid.W)]);
            visionSeconds = clock.Elapsed.TotalSeconds;
            var hidden = model.Forward(new Qwen25VLInputs(ids, null, null, [(grid.T, grid.H, grid.W)]), embeds);
            vocab = model.Logits(hidden.Narrow(1, tokens.Count - 1, 1)).Shape[^1];
            totalSeconds = clock.Elapsed.TotalSeconds;
        }
        return new Dictionary<string, object>
        {
            ["parameters"] = model.Parameters.Count,
            ["weights"] = loaded.WeightsDType,
            ["patches"] = processed.Rows,
            ["sequence_tokens"] = tokens.Count,
            ["vocab"] = vocab,
            ["load_seconds"] = Math.Round(loadSeconds, 2),
            ["vision_seconds"] = Math.Round(visionSeconds, 2),
            ["forward_seconds"] = Math.Round(totalSeconds, 2),
            ["peak_rss_bytes"] = Process.GetCurrentProcess().PeakWorkingSet64,
        };
    }
}
