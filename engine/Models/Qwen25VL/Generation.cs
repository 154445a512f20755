using StyleAlign.Engine.Autograd;
using StyleAlign.Engine.Core;
using StyleAlign.Engine.FusedOps.Attention;

namespace StyleAlign.Engine.Models.Qwen25VL;

/// <summary>Decoding settings. Temperature 0 is greedy; otherwise temperature then nucleus (top-p) sampling.</summary>
public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 32;
    public double Temperature { get; init; }
    public double TopP { get; init; } = 1.0;
    public ulong Seed { get; init; } = 0;
    public IReadOnlyCollection<long> StopTokens { get; init; } = [];
}

/// <summary>
/// The decoding loop behind <see cref="CaptionSession"/>: rows are left-padded to a common length, prefilled once,
/// then decoded one token per step with a KV cache. A row stops at its first stop token (not included in the
/// output), at the limit, or when the sequence reaches max_position_embeddings.
/// </summary>
internal static class Generation
{
    /// <param name="prompts">token ids of each row's prompt (ending with the assistant header)</param>
    /// <param name="imageEmbeds">the batch's image embeddings in row order, or null</param>
    /// <returns>the generated ids of each row, without the prompt and the stop token</returns>
    public static List<long[]> Generate(Qwen25VLModel model, IReadOnlyList<long[]> prompts, Tensor? imageEmbeds, IReadOnlyList<(int T, int H, int W)> grids, GenerationOptions options)
    {
        var batch = prompts.Count;
        var length = prompts.Max(p => p.Length);
        var ids = new long[batch, length];
        var mask = new long[batch, length];
        for (var b = 0; b < batch; b++)
        {
            var pad = length - prompts[b].Length;
            for (var t = 0; t < prompts[b].Length; t++)
            {
                ids[b, pad + t] = prompts[b][t];
                mask[b, pad + t] = 1;
            }
        }
        var rng = new RandomGenerator(options.Seed);
        var outputs = Enumerable.Range(0, batch).Select(_ => new List<long>()).ToArray();
        var done = new bool[batch];
        using var noGrad = GradMode.NoGrad();
        using var scope = TensorScope.Begin();
        var cache = new KvCache(model.Config.Text.NumHiddenLayers);
        var inputs = new Qwen25VLInputs(ids, mask, null, grids);
        var (positions, deltas) = model.PositionIds(inputs);
        var (cos, sin) = model.RopeTables(positions, batch, length);
        var x = model.Embed(ids, imageEmbeds);
        var hidden = model.Decoder.Forward(x, cos, sin, new DecoderMask(KeyPadding: null, Additive: model.PlaceMask(EagerAttention.CausalMask(batch, length, mask))), null, cache);
        var keyMask = new List<long[]>();
        for (var b = 0; b < batch; b++) keyMask.Add(Enumerable.Range(0, length).Select(t => mask[b, t]).ToArray());

        // No row grows past the positions the model was built for: there decoding ends as at the limit (the caller
        // may ask for more, e.g. eval's --max-new-tokens, without knowing each prompt's length).
        var maxNew = Math.Min(options.MaxNewTokens, model.Config.Text.MaxPositionEmbeddings - length);
        for (var step = 0; step < maxNew; step++)
        {
            var last = model.Logits(hidden.Narrow(1, hidden.Shape[1] - 1, 1)).Reshape(batch, -1).ToFloatArray();
            var vocab = last.Length / batch;
            var next = new long[batch, 1];
            for (var b = 0; b < batch; b++)
            {
                var token = done[b] ? 0 : Sample(last.AsSpan(b * vocab, vocab), options, rng);
                if (!done[b])
                {
                    if (options.StopTokens.Contains(token)) done[b] = true;
                    else outputs[b].Add(token);
                }
                next[b, 0] = token;
            }
            if (done.All(d => d) || step == maxNew - 1) break;

            var cached = cache.Length;
            var stepPositions = new long[3 * batch];
            for (var c = 0; c < 3; c++)
                for (var b = 0; b < batch; b++) stepPositions[c * batch + b] = cached + deltas[b];
            (cos, sin) = model.RopeTables(stepPositions, batch, 1);
            var stepMask = new float[batch * (cached + 1)];
            for (var b = 0; b < batch; b++)
            {
                for (var t = 0; t < cached; t++)
                    stepMask[b * (cached + 1) + t] = (t < length ? keyMask[b][t] : 1) != 0 ? 0f : (float)EagerAttention.MaskValue;
            }
            var maskTensor = model.PlaceMask(Tensor.FromFloats(stepMask, new Shape(batch, 1, 1, cached + 1)));
            hidden = model.Decoder.Forward(model.Embed(next, null, imagePadsAreText: true), cos, sin, new DecoderMask(KeyPadding: null, Additive: maskTensor), null, cache);
        }
        return outputs.Select(o => o.ToArray()).ToList();
    }

    /// <summary>Greedy argmax at temperature 0; else softmax(logits / T) restricted to the top-p nucleus.</summary>
    public static long Sample(ReadOnlySpan<float> logits, GenerationOptions options, RandomGenerator rng)
    {
        if (options.Temperature <= 0)
        {
            var best = 0;
            for (var i = 1; i < logits.Length; i++)
                if (logits[i] > logits[best]) best = i;
            return best;
        }
        var max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        var probs = new double[logits.Length];
        double sum = 0;
        for (var i = 0; i < probs.Length; i++) sum += probs[i] = Math.Exp((logits[i] - max) / options.Temperature);
        var order = Enumerable.Range(0, probs.Length).OrderByDescending(i => probs[i]).ThenBy(i => i).ToArray();
        var keep = new List<int>();
        double mass = 0;
        foreach (var i in order)
        {
            keep.Add(i);
            mass += probs[i] / sum;
            if (mass >= options.TopP) break;
        }
        var u = rng.NextDouble() * keep.Sum(i => probs[i]);
        foreach (var i in keep)
        {
            u -= probs[i];
            if (u <= 0) return i;
        }
        return keep[^1];
    }
}
