using System.Text.Json.Nodes;
using StyleAlign.Engine.Models.Qwen25VL;
using StyleAlign.Trainers.Batching;
using StyleAlign.Trainers.Data;

namespace StyleAlign.Trainers.Training;

/// <summary>
/// The current negative of each example for CW-DPO: its dataset negative with probability ρ, otherwise a caption
/// sampled from the policy (temperature, top-p) at the last refresh. A sample equal to the chosen caption, or empty,
/// falls back to the dataset negative. Reference log-probs of samples are computed right after sampling, with the
/// reference weights, and kept with the sample (and in checkpoints).
/// </summary>
internal sealed class OnPolicyNegatives(OnPolicyOptions options, ulong seed)
{
    private Dictionary<string, (string Text, double Reference)> _samples = new(StringComparer.Ordinal);

    public int RefreshIndex { get; private set; } = -1;

    public int SampledCount => _samples.Count;

    public PreferenceExample Apply(PreferenceExample example) =>
        _samples.TryGetValue(example.Id, out var sample) ? example with { Rejected = sample.Text } : example;

    public double? RejectedReference(string id) => _samples.TryGetValue(id, out var sample) ? sample.Reference : null;

    public void EnsureRefreshed(int refreshIndex, Qwen25VLModel model, ITrainableParameters trainables, PreferenceCollator collator,
        IReadOnlyList<PreferenceExample> train, ReferenceCache references, int batchSize)
    {
        if (refreshIndex == RefreshIndex) return;
        var toSample = new List<PreferenceExample>();
        for (var i = 0; i < train.Count; i++)
        {
            var draw = DeterministicRandom.ForStream(seed ^ 0x6E656761746976UL, (ulong)refreshIndex * (ulong)train.Count + (ulong)i).NextDouble();
            if (draw >= options.DatasetFraction) toSample.Add(train[i]);
        }
        var samples = new Dictionary<string, (string Text, double Reference)>(StringComparer.Ordinal);
        var chunkIndex = 0;
        foreach (var chunk in toSample.Chunk(Math.Max(1, batchSize)))
        {
            var texts = Sample(model, collator, chunk, (ulong)refreshIndex * 1_000_003UL + (ulong)chunkIndex++);
            var accepted = chunk.Zip(texts).Where(p => p.Second.Length > 0 && p.Second.Trim() != p.First.Chosen.Trim())
                .Select(p => p.First with { Rejected = p.Second }).ToArray();
            if (accepted.Length == 0) continue;
            using (trainables.UseReference())
            {
                var (sums, _) = BatchScorer.ScoreValues(model, collator.Collate(accepted, includeRejected: true));
                for (var k = 0; k < accepted.Length; k++) samples[accepted[k].Id] = (accepted[k].Rejected!, sums[accepted.Length + k]);
            }
        }
        _ = references;
        _samples = samples;
        RefreshIndex = refreshIndex;
    }

    private IReadOnlyList<string> Sample(Qwen25VLModel model, PreferenceCollator collator, IReadOnlyList<PreferenceExample> examples, ulong sampleSeed)
    {
        var captions = new CaptionSession(model, collator.Tokenizer, collator.Processor, collator.Options.SystemPrompt);
        var maxNew = options.MaxNewTokens > 0 ? options.MaxNewTokens : 2 * examples.Max(e => collator.CompletionIds(e.Chosen).Length);
        return captions.Caption(examples.Select(collator.CaptionRequest).ToList(), new GenerationOptions
        {
            MaxNewTokens = maxNew,
            Temperature = options.Temperature,
            TopP = options.TopP,
            Seed = seed ^ sampleSeed,
            StopTokens = [collator.Tokenizer.ImEndId],
        });
    }

    public JsonObject ToJson()
    {
        var samples = new JsonObject();
        foreach (var (id, (text, reference)) in _samples.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            samples[id] = new JsonObject { ["text"] = text, ["reference"] = reference };
        return new JsonObject { ["refresh_index"] = RefreshIndex, ["samples"] = samples };
    }

    public static OnPolicyNegatives FromJson(OnPolicyOptions options, ulong seed, JsonObject json)
    {
        var negatives = new OnPolicyNegatives(options, seed) { RefreshIndex = (int)json["refresh_index"]! };
        foreach (var (id, node) in json["samples"]!.AsObject())
            negatives._samples[id] = ((string)node!["text"]!, (double)node["reference"]!);
        return negatives;
    }
}
