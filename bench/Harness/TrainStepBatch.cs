using StyleAlign.Engine.Core;
using StyleAlign.Engine.IO.Config;
using StyleAlign.Engine.Vision;
using StyleAlign.Trainers.Batching;

namespace StyleAlign.Bench.Harness;

/// <summary>
/// A synthetic preference batch shaped like the collator's, needing no tokenizer: per pair a square image of its own,
/// a chat-template-sized prompt around the image's pads, and chosen and rejected captions of the given length, each
/// followed by &lt;|im_end|&gt; (a target) and a newline (not one). Ordinary tokens are low byte-level ids, which every
/// Qwen vocabulary holds.
/// </summary>
public static class TrainStepBatch
{
    /// <summary>Text tokens before the image (system turn, user header) and after it (instruction, assistant header).</summary>
    public const int PromptTextBefore = 20, PromptTextAfter = 10;

    /// <summary>The byte-level id of "\n".</summary>
    private const long Newline = 198;

    public static PreferenceBatch Create(Qwen25VLConfig config, int pairs, int imageSize, int captionTokens, bool withRejected)
    {
        var processor = new QwenImageProcessor();
        var pixels = new List<float[]>();
        var grids = new List<(int T, int H, int W)>();
        var columns = 0;
        for (var p = 0; p < pairs; p++)
        {
            var rgb = new byte[imageSize * imageSize * 3];
            for (var i = 0; i < rgb.Length; i++) rgb[i] = (byte)((i * 7 + p * 61) % 251);
            var processed = processor.Process(new RgbImage(rgb, imageSize, imageSize));
            pixels.Add(processed.PixelValues);
            var g = processed.Grids[0];
            grids.Add((g.T, g.H, g.W));
            columns = processed.Columns;
        }
        var text = config.Text;
        var rows = new List<(List<long> Prompt, List<long> Completion)>();
        for (var half = 0; half < (withRejected ? 2 : 1); half++)
            for (var p = 0; p < pairs; p++)
            {
                var imageTokens = grids[p].T * grids[p].H * grids[p].W / (config.Vision.SpatialMergeSize * config.Vision.SpatialMergeSize);
                var prompt = Ordinary(PromptTextBefore, p).Append(text.VisionStartTokenId).Concat(Enumerable.Repeat((long)text.ImageTokenId, imageTokens))
                    .Append(text.VisionEndTokenId).Concat(Ordinary(PromptTextAfter, p + 1)).ToList();
                rows.Add((prompt, [.. Ordinary(captionTokens, 31 * p + 17 * half + 5), text.EosTokenId]));
            }
        var length = rows.Max(r => r.Prompt.Count + r.Completion.Count + 1);
        var ids = new long[rows.Count, length];
        var attention = new long[rows.Count, length];
        var targets = new bool[rows.Count, length];
        for (var r = 0; r < rows.Count; r++)
        {
            var t = 0;
            foreach (var id in rows[r].Prompt) (ids[r, t], attention[r, t++]) = (id, 1);
            foreach (var id in rows[r].Completion) (ids[r, t], attention[r, t], targets[r, t++]) = (id, 1, true);
            (ids[r, t], attention[r, t]) = (Newline, 1);
        }
        var all = pixels.SelectMany(x => x).ToArray();
        var pixelValues = Tensor.FromFloats(all, new Shape(all.Length / columns, columns));
        return new PreferenceBatch(ids, attention, targets, pixelValues, grids, Enumerable.Range(0, pairs).Select(p => $"bench-{p}").ToArray(), withRejected);
    }

    /// <summary>Byte-level ids 32 … 126, varied by <paramref name="salt"/>.</summary>
    private static IEnumerable<long> Ordinary(int count, int salt) => Enumerable.Range(0, count).Select(i => 32L + (i * 7 + salt * 13) % 95);
}
