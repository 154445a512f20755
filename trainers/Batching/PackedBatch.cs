using StyleAlign.Engine.Models.Qwen25VL;

namespace StyleAlign.Trainers.Batching;

/// <summary>
/// How a <see cref="PreferenceBatch"/> runs through the decoder: its rows as packed sequences, and for every completion
/// target of every batch row the packed row whose hidden state predicts it. With a shared prefix, the last prompt
/// token's row predicts the first target of both the chosen and the rejected caption.
/// </summary>
/// <param name="Sequences">the packed tokens, M-RoPE ids and attention segments</param>
/// <param name="TargetRows">per completion target (batch rows in order, positions in order): the predicting packed row</param>
/// <param name="Targets">the target token ids</param>
/// <param name="TargetSegments">the batch row each target belongs to</param>
/// <param name="RepeatsImages">true when every row shows its pair's image (unshared [chosen…; rejected…]): the pair
/// embeddings are then laid out once per row</param>
public sealed record PackedBatch(PackedSequences Sequences, int[] TargetRows, long[] Targets, long[] TargetSegments, bool RepeatsImages)
{
    /// <summary>
    /// Packs a batch: with rejected rows and <see cref="PreferenceBatch.SharePrefix"/>, per pair [prompt | chosen |
    /// rejected] (the prompt, image included, once); otherwise each row alone. A pair whose two rows do not share their
    /// prompt makes the whole batch unshared.
    /// </summary>
    public static PackedBatch Pack(PreferenceBatch batch, Qwen25VLModel model)
    {
        var rows = Enumerable.Range(0, batch.Rows).Select(r => RealPositions(batch, r)).ToArray();
        var tokens = rows.Select((positions, r) => positions.Select(p => batch.InputIds[r, p]).ToArray()).ToArray();
        var prompts = batch.HasRejected && batch.SharePrefix ? SharedPrompts(batch, rows, tokens) : null;
        var groups = new List<SequenceGroup>();
        // sequenceOf[r]: the packed sequence that is batch row r.
        var sequenceOf = new int[batch.Rows];
        if (prompts is not null)
            for (var p = 0; p < batch.Pairs; p++)
            {
                var (chosen, rejected, prompt) = (tokens[p], tokens[batch.Pairs + p], prompts[p]);
                groups.Add(new SequenceGroup(chosen[..prompt], [chosen[prompt..], rejected[prompt..]]));
                sequenceOf[p] = 2 * p;
                sequenceOf[batch.Pairs + p] = 2 * p + 1;
            }
        else
            for (var r = 0; r < batch.Rows; r++)
            {
                groups.Add(new SequenceGroup(tokens[r], [[]]));
                sequenceOf[r] = r;
            }
        var repeatsImages = prompts is null && batch.HasRejected;
        var grids = batch.PixelValues is null ? [] : repeatsImages ? batch.RowGrids : batch.PairGrids;
        var sequences = model.Pack(groups, grids);

        var targetRows = new List<int>();
        var targets = new List<long>();
        var segments = new List<long>();
        for (var r = 0; r < batch.Rows; r++)
        {
            var packedRows = sequences.Sequences[sequenceOf[r]];
            var positions = rows[r];
            // Token i of the row predicts token i + 1: it is selected when that token is a completion target.
            for (var i = 0; i + 1 < positions.Length; i++)
            {
                if (!batch.TargetMask[r, positions[i + 1]]) continue;
                targetRows.Add(packedRows[i]);
                targets.Add(tokens[r][i + 1]);
                segments.Add(r);
            }
        }
        return new PackedBatch(sequences, [.. targetRows], [.. targets], [.. segments], repeatsImages);
    }

    /// <summary>The padded positions of row r's real tokens, in order.</summary>
    private static int[] RealPositions(PreferenceBatch batch, int r) =>
        [.. Enumerable.Range(0, batch.Length).Where(p => batch.AttentionMask[r, p] != 0)];

    /// <summary>
    /// Per pair, how many leading tokens its chosen and rejected rows share as the prompt (everything before the first
    /// completion target, identical in both rows), or null when some pair's rows differ there.
    /// </summary>
    private static int[]? SharedPrompts(PreferenceBatch batch, int[][] rows, long[][] tokens)
    {
        var prompts = new int[batch.Pairs];
        for (var p = 0; p < batch.Pairs; p++)
        {
            var (chosen, rejected) = (p, batch.Pairs + p);
            var prompt = Array.FindIndex(rows[chosen], position => batch.TargetMask[chosen, position]);
            if (prompt <= 0 || prompt != Array.FindIndex(rows[rejected], position => batch.TargetMask[rejected, position])) return null;
            if (!tokens[chosen].AsSpan(0, prompt).SequenceEqual(tokens[rejected].AsSpan(0, prompt))) return null;
            prompts[p] = prompt;
        }
        return prompts;
    }
}
